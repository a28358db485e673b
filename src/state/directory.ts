/**
 * The service directory: service documents and the repository index, kept in the store.
 * Writes are compare-and-swap transactions, so concurrent writers never lose each other's changes.
 */
import type { Store, TxnOp } from '../store/store.js';
import { PazError } from '../core/errors.js';
import { keys } from '../core/keys.js';
import { repositoryKey } from '../core/image-ref.js';
import { applyConfigPatch, envValueProblem, normalizeCreate, type ConfigPatch, type CreateServiceBody, type ServiceConfig, type ServiceDoc } from '../core/service-spec.js';
import { sealEnv } from '../core/secret-env.js';
import { newSecretKey, type SecretKey } from '../core/secret-box.js';
import type { JournalEntry } from '../core/records.js';
import { getJsonEntry } from '../store/json.js';
import { lockService } from './service-lock.js';
import { hostVolumeProblem } from '../core/volume-policy.js';
import { findService, listServices, serviceNotFound } from './service-docs.js';

const MAX_CAS_ATTEMPTS = 20;

export { serviceNotFound } from './service-docs.js';

function journalOps(entry: JournalEntry | undefined): TxnOp[] {
  return entry ? [{ type: 'put', key: keys.journal(entry.timestamp, entry.serviceName, entry.version, entry.event), value: JSON.stringify(entry) }] : [];
}

/**
 * Host volumes only under the volume root; no root: no host volume at all. Throws VOLUME_REFUSED naming
 * the allowed root (after the config's own checks, so a malformed path gets their message).
 */
function checkHostVolumes(volume: Record<string, string>, root: string | undefined): void {
  for (const hostPath of Object.keys(volume)) {
    const problem = hostVolumeProblem(hostPath, root);
    if (problem) throw new PazError('VOLUME_REFUSED', problem, { field: 'volume', hostPath, ...(root ? { volumeRoot: root } : {}) });
  }
}

export class Directory {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
    /** seals env values marked secret as they are written */
    private readonly secretKey: SecretKey = newSecretKey(),
  ) {}

  /** `env` as sent → as stored: secrets sealed, or kept when they are the current ones (secret-env.ts). */
  private withSealedEnv<T extends { env?: ConfigPatch['env'] }>(name: string, body: T, current: ServiceConfig['env']): T {
    return body.env === undefined ? body : { ...body, env: sealEnv(this.secretKey, name, body.env, current, envValueProblem) };
  }

  list(): Promise<ServiceDoc[]> {
    return listServices(this.store);
  }

  find(name: string): Promise<ServiceDoc | undefined> {
    return findService(this.store, name);
  }

  async get(name: string): Promise<ServiceDoc> {
    const doc = await this.find(name);
    if (!doc) throw serviceNotFound(name);
    return doc;
  }

  /** `actor`: who asked (the API token's name), for the journal. */
  async create(body: CreateServiceBody, actor?: string): Promise<ServiceDoc> {
    const doc = normalizeCreate(this.withSealedEnv(body.name, body, {}), this.now());
    if (Object.keys(doc.config.volume).length > 0) checkHostVolumes(doc.config.volume, await this.volumeRoot());
    const key = keys.service(doc.name);
    const created: JournalEntry = { event: 'service-created', serviceName: doc.name, version: 0, timestamp: doc.createdTime, message: `service ${doc.name} created (${doc.dockerRepository})`, ...(actor ? { actor } : {}) };
    const res = await this.store.txn({
      compare: [{ key, target: 'createRevision', op: '=', value: 0 }],
      success: [
        { type: 'put', key, value: JSON.stringify(doc) },
        { type: 'put', key: keys.repoIndex(repositoryKey(doc.dockerRepository), doc.name), value: '' },
        ...journalOps(created),
      ],
    });
    if (!res.succeeded) {
      throw new PazError('SERVICE_EXISTS', `a service named "${doc.name}" already exists: change it with PATCH /services/${doc.name}/config, or delete it first`, { name: doc.name });
    }
    return doc;
  }

  /**
   * Deletes the service and its desired units (so agents stop its instances, which Paz never did).
   * Deploy history and the journal are kept: re-creating the name continues its version numbers.
   * One txn however many units (a deletePrefix is one op), taken under the service's write lock so it
   * never runs into the middle of a chunked deploy or scale; it also removes what a dead one left.
   */
  async delete(name: string, actor?: string): Promise<void> {
    if (!(await this.store.get(keys.service(name)))) throw serviceNotFound(name);
    const lock = await lockService(this.store, name);
    try {
      for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
        const current = await getJsonEntry<ServiceDoc>(this.store, keys.service(name));
        if (!current) throw serviceNotFound(name);
        const now = this.now();
        const entry: JournalEntry = { event: 'service-deleted', serviceName: name, version: 0, timestamp: now, message: `service ${name} deleted; its instances are stopped`, ...(actor ? { actor } : {}) };
        const ops: TxnOp[] = [
          { type: 'delete', key: keys.service(name) },
          { type: 'delete', key: keys.repoIndex(repositoryKey(current.value.dockerRepository), name) },
          // staged units of a writer that died are under this prefix too
          { type: 'deletePrefix', prefix: keys.desiredUnitsOf(name) },
          { type: 'delete', key: keys.pendingWrite(name) },
          // nothing serves any more; a re-created service's failed deploy must not start the old one again
          { type: 'put', key: keys.serving(name), value: '0' },
          { type: 'put', key: keys.journal(now, name, 0, entry.event), value: JSON.stringify(entry) },
        ];
        const compare = [lock.fence, { key: keys.service(name), target: 'modRevision' as const, op: '=' as const, value: current.kv.modRevision }];
        if ((await this.store.txn({ compare, success: ops })).succeeded) return;
      }
      throw new PazError('CONFLICT', `service "${name}" is being changed by others right now: try again`);
    } finally {
      await lock.release();
    }
  }

  /** Applies a config patch (shallow merge) and returns the new config; journalled (the fields changed, never their values). */
  async patchConfig(name: string, patch: ConfigPatch, actor?: string): Promise<ServiceConfig> {
    const fields = Object.keys(patch).sort();
    // volumes are judged when they are set: a root changed later does not block unrelated patches (agents check again)
    const root = patch.volume !== undefined ? await this.volumeRoot() : undefined;
    const doc = await this.update(
      name,
      (d) => {
        d.config = applyConfigPatch(d.config, this.withSealedEnv(name, patch, d.config.env));
        if (patch.volume !== undefined) checkHostVolumes(patch.volume, root);
      },
      (d) => ({ event: 'config-changed', serviceName: name, version: 0, timestamp: d.lastModifiedTime ?? this.now(), message: `config of ${name} changed: ${fields.join(', ') || 'nothing'}`, ...(actor ? { actor } : {}) }),
    );
    return doc.config;
  }

  /** The cluster's volume root (written by the control plane at start, from --volume-root); undefined: none set. */
  private async volumeRoot(): Promise<string | undefined> {
    return (await this.store.get(keys.volumeRoot()))?.value;
  }

  /** Read-modify-write of one service document with compare-and-swap; retried on concurrent change. `journal`: an entry written in the same txn. */
  async update(name: string, change: (doc: ServiceDoc) => void, journal?: (doc: ServiceDoc) => JournalEntry): Promise<ServiceDoc> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await getJsonEntry<ServiceDoc>(this.store, keys.service(name));
      if (!current) throw serviceNotFound(name);
      const doc = structuredClone(current.value);
      change(doc);
      doc.lastModifiedTime = this.now();
      const res = await this.store.txn({
        compare: [{ key: current.key, target: 'modRevision', op: '=', value: current.kv.modRevision }],
        success: [{ type: 'put', key: current.key, value: JSON.stringify(doc) }, ...journalOps(journal?.(doc))],
      });
      if (res.succeeded) return doc;
    }
    throw new PazError('CONFLICT', `service "${name}" is being changed by others right now: try again`);
  }

  /** Services whose image is the given repository (any tag; Docker Hub aliases are the same repository). */
  async findByRepository(repository: string): Promise<ServiceDoc[]> {
    const { kvs } = await this.store.range(keys.repoIndexPrefix(repositoryKey(repository)));
    const docs: ServiceDoc[] = [];
    for (const kv of kvs) {
      const name = kv.key.slice(kv.key.lastIndexOf('/') + 1);
      const doc = await this.find(name);
      if (doc) docs.push(doc);
    }
    return docs;
  }
}
