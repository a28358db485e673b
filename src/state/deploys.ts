/**
 * The scheduler's records: versions, their snapshots, the journal, and the desired units a deploy creates.
 * A deploy is committed by one store transaction guarded by compare-and-swap on the service's latest
 * version, so two concurrent deploys can never take the same version number (a Paz defect). How a
 * deploy or scale too big for one txn gets into the store is chunked-writes.ts's job.
 */
import type { Store, TxnOp } from '../store/store.js';
import { PazError } from '../core/errors.js';
import { keys } from '../core/keys.js';
import type { ServiceDoc } from '../core/service-spec.js';
import type { DeployRecord, DeployTrigger, JournalEntry } from '../core/records.js';
import { planDeploy, resolveDeployImage, desiredUnitsFor } from '../core/deploy-plan.js';
import type { RolloutStatus } from '../core/rollout-policy.js';
import type { DesiredUnit } from '../core/records.js';
import { getJson, getJsonEntry, rangeJson } from '../store/json.js';
import { serviceNotFound } from './directory.js';
import { ChunkedWrites, type ScalePlan } from './chunked-writes.js';

const MAX_CAS_ATTEMPTS = 20;

export interface DeployRequest {
  /** repository named by the caller (deploy hook), checked against the service's */
  repository?: string;
  /** tag to deploy (registry push) */
  tag?: string;
  /** deploy exactly this snapshot again (rollback) instead of the service's current config */
  fromRecord?: DeployRecord;
  trigger: DeployTrigger;
}

export interface JournalView extends JournalEntry {
  config: DeployRecord['config'] | Record<string, never>;
}

export class Deploys {
  readonly writes: ChunkedWrites;

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {
    this.writes = new ChunkedWrites(store, (name, count) => this.planScale(name, count), now);
  }

  async latestVersion(name: string): Promise<number> {
    const kv = await this.store.get(keys.latest(name));
    return kv ? Number(kv.value) : 0;
  }

  async deploy(name: string, req: DeployRequest): Promise<DeployRecord> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const svc = await getJsonEntry<ServiceDoc>(this.store, keys.service(name));
      if (!svc) throw serviceNotFound(name);
      const latestKv = await this.store.get(keys.latest(name));
      const latestVersion = latestKv ? Number(latestKv.value) : 0;
      const source = req.fromRecord
        ? { name, description: req.fromRecord.description, dockerRepository: req.fromRecord.dockerRepository, config: req.fromRecord.config }
        : svc.value;
      const image = req.fromRecord ? req.fromRecord.image : resolveDeployImage(svc.value.dockerRepository, req.repository, req.tag);
      const now = this.now();
      const plan = planDeploy({ service: source, latestVersion, image, trigger: req.trigger, now });
      const committed = await this.writes.deploy({
        service: name,
        version: plan.record.version,
        compare: [
          { key: keys.latest(name), target: 'modRevision', op: '=', value: latestKv?.modRevision ?? 0 },
          { key: svc.key, target: 'modRevision', op: '=', value: svc.kv.modRevision },
        ],
        commitOps: [
          { type: 'put', key: keys.latest(name), value: String(plan.record.version) },
          { type: 'put', key: keys.deploy(name, plan.record.version), value: JSON.stringify(plan.record) },
          { type: 'put', key: keys.journal(now, name, plan.record.version, plan.journal.event), value: JSON.stringify(plan.journal) },
          { type: 'put', key: keys.rolloutStatus(name, plan.record.version), value: JSON.stringify({ service: name, version: plan.record.version, state: 'deploying', startedAt: now } satisfies RolloutStatus) },
        ],
        unitOps: plan.units.map((u) => ({ type: 'put' as const, key: keys.desiredUnit(name, u.unit), value: JSON.stringify(u) })),
      });
      if (committed) return plan.record;
    }
    throw new PazError('CONFLICT', `service "${name}" is being deployed by someone else right now: try again`);
  }

  async latest(name: string): Promise<DeployRecord> {
    const v = await this.latestVersion(name);
    if (v === 0) {
      throw new PazError('NOT_DEPLOYED', `service "${name}" has not been deployed yet: deploy it with POST /hooks/deploy {"serviceName":"${name}"}`, { name });
    }
    return this.version(name, v);
  }

  async version(name: string, version: number): Promise<DeployRecord> {
    const rec = await getJson<DeployRecord>(this.store, keys.deploy(name, version));
    if (!rec) {
      const latest = await this.latestVersion(name);
      const hint = latest === 0 ? 'it has never been deployed' : `versions go from 1 to ${latest}`;
      throw new PazError('VERSION_NOT_FOUND', `service "${name}" has no version ${version}: ${hint}`, { name, version });
    }
    return rec;
  }

  /** Every deployed version, oldest first. */
  async records(name: string): Promise<DeployRecord[]> {
    const recs = (await rangeJson<DeployRecord>(this.store, keys.deploysOf(name))).entries.map((r) => r.value);
    return recs.sort((a, b) => a.version - b.version);
  }

  /** `{"1": config, "2": config, ...}` as Paz's scheduler answered. */
  async history(name: string): Promise<Record<string, DeployRecord['config']>> {
    const out: Record<string, DeployRecord['config']> = {};
    for (const r of await this.records(name)) out[String(r.version)] = r.config;
    return out;
  }

  async rolloutStatus(name: string, version: number): Promise<RolloutStatus | undefined> {
    return getJson<RolloutStatus>(this.store, keys.rolloutStatus(name, version));
  }

  /**
   * The version a rollback goes to: the newest version before the latest whose deploy succeeded (or, when
   * none is known to have succeeded, simply the one before the latest).
   */
  async rollbackTarget(name: string): Promise<DeployRecord> {
    const latest = await this.latestVersion(name);
    if (latest < 2) {
      throw new PazError('VERSION_NOT_FOUND', `service "${name}" has ${latest === 0 ? 'never been deployed' : 'only one version'}: there is nothing to roll back to`, { name });
    }
    for (let v = latest - 1; v >= 1; v--) {
      if ((await this.rolloutStatus(name, v))?.state === 'succeeded') return this.version(name, v);
    }
    return this.version(name, latest - 1);
  }

  /** Rolls back: deploys version `version`'s snapshot (default: the previous good one) as a new version. */
  async rollback(name: string, version?: number): Promise<DeployRecord> {
    const target = version === undefined ? await this.rollbackTarget(name) : await this.version(name, version);
    return this.deploy(name, { fromRecord: target, trigger: { source: 'rollback', rollbackOf: target.version } });
  }

  /**
   * Scales the running version without a new version: adds instances (numbered after the highest) or
   * drains the highest-numbered ones; the service's config says the new count for later deploys.
   */
  async scale(name: string, count: number): Promise<{ version: number; added: string[]; draining: string[] }> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const { done, plan } = await this.writes.scale(name, count);
      if (done) return { version: plan.version, added: plan.added, draining: plan.draining };
    }
    throw new PazError('CONFLICT', `service "${name}" is being changed by others right now: try again`);
  }

  /**
   * What a scale to `count` writes, from the store's current state: the service doc's new count, the
   * added instances (numbered after the highest) and the drains of the highest-numbered ones. Planned
   * again by chunked-writes.ts until nothing is left, so it only ever plans what is still missing.
   */
  private async planScale(name: string, count: number): Promise<ScalePlan> {
    const svc = await getJsonEntry<ServiceDoc>(this.store, keys.service(name));
    if (!svc) throw serviceNotFound(name);
    const version = await this.latestVersion(name);
    const now = this.now();
    const doc: ServiceDoc = { ...svc.value, config: { ...svc.value.config, numInstances: count }, lastModifiedTime: now };
    const plan: ScalePlan = {
      version,
      intent: { op: { type: 'put', key: svc.key, value: JSON.stringify(doc) }, compare: { key: svc.key, target: 'modRevision', op: '=', value: svc.kv.modRevision } },
      unitWrites: [],
      added: [],
      draining: [],
    };
    if (version > 0) {
      const rec = await this.version(name, version);
      const { entries } = await rangeJson<DesiredUnit>(this.store, keys.desiredUnitsOf(name));
      const live = entries.filter((e) => e.value.version === version && e.value.drainingSince === undefined).sort((a, b) => a.value.instance - b.value.instance);
      if (count > live.length) {
        const first = Math.max(0, ...entries.filter((e) => e.value.version === version).map((e) => e.value.instance)) + 1;
        for (const u of desiredUnitsFor(rec, count - live.length, now, first)) {
          const key = keys.desiredUnit(name, u.unit);
          plan.unitWrites.push({ op: { type: 'put', key, value: JSON.stringify(u) }, compare: { key, target: 'createRevision', op: '=', value: 0 } });
          plan.added.push(u.unit);
        }
      }
      for (const e of live.slice(count)) {
        plan.unitWrites.push({ op: { type: 'put', key: e.key, value: JSON.stringify({ ...e.value, drainingSince: now }) }, compare: { key: e.key, target: 'modRevision', op: '=', value: e.kv.modRevision } });
        plan.draining.push(e.value.unit);
      }
      const entry: JournalEntry = { event: 'scale', serviceName: name, version, timestamp: now, message: `scaled version ${version} from ${live.length} to ${count} instance${count === 1 ? '' : 's'}` };
      plan.journal = { type: 'put', key: keys.journal(now, name, version, 'scale'), value: JSON.stringify(entry) } satisfies TxnOp;
    }
    return plan;
  }

  async appendJournal(entry: JournalEntry): Promise<void> {
    await this.store.put(keys.journal(entry.timestamp, entry.serviceName, entry.version, entry.event), JSON.stringify(entry));
  }

  /** The journal, oldest first, each entry with the config of the version it names (Paz's shape). */
  async journal(filter?: { service?: string; limit?: number }): Promise<JournalView[]> {
    let entries = (await rangeJson<JournalEntry>(this.store, keys.journalPrefix())).entries.map((r) => r.value);
    if (filter?.service) entries = entries.filter((e) => e.serviceName === filter.service);
    if (filter?.limit) entries = entries.slice(-filter.limit);
    const cache = new Map<string, DeployRecord | undefined>();
    const out: JournalView[] = [];
    for (const e of entries) {
      const k = keys.deploy(e.serviceName, e.version);
      if (!cache.has(k)) cache.set(k, await getJson<DeployRecord>(this.store, k));
      out.push({ ...e, config: cache.get(k)?.config ?? {} });
    }
    return out;
  }
}
