/**
 * Backup and restore against a Store (either backend): the I/O around core/backup-format.ts.
 *
 * A backup is one read of /paz/ at one revision (Store.rangeMany), so it is consistent however busy the
 * cluster is: every key is as it was at that revision, none from before or after.
 *
 * A restore writes into a store that holds no Paz state, offline: with the control plane stopped, since a
 * live leader would act on a half-written state (place units of a service whose versions are not there
 * yet). It is as many txns as the store's limits need (etcd: 128 ops each), so it is not atomic: the first
 * txn sets a marker key and the last removes it, and a store that still holds the marker is reported as
 * restored halfway (restore again with --force).
 */
import { BACKUP_FORMAT, isLiveProcessKey, makeBackup, RESTORE_MARKER_KEY, type Backup } from '../core/backup-format.js';
import { resumeDeploys } from '../core/restore-resume.js';
import { chunkOps } from '../store/chunk-ops.js';
import type { Store, TxnOp } from '../store/store.js';

const PAZ_PREFIX = '/paz/';

export async function takeBackup(store: Store, pazVersion: string, now = new Date()): Promise<Backup> {
  const read = await store.rangeMany([PAZ_PREFIX]);
  return makeBackup({ pazVersion, createdAt: now, revision: read.revision, store: storeKind(store), kvs: read.ranges[0] });
}

export function storeKind(store: Pick<Store, 'name'>): 'sqlite' | 'etcd' {
  return store.name.startsWith('sqlite:') ? 'sqlite' : 'etcd';
}

/** A restore refused because of what the target store holds; nothing was written. */
export class RestoreRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreRefusedError';
  }
}

export interface RestoreOptions {
  /** remove the target's /paz/ first instead of refusing a store that holds Paz state */
  force?: boolean;
  /** what to call the backup in the marker and messages */
  source?: string;
}

export interface RestoreResult {
  keys: number;
  txns: number;
  /** keys removed first (with force) */
  removed: number;
  /** units of deploys under way in the backup, given their whole healthy deadline again from now */
  resumedUnits: string[];
}

/** Refuses a target a live Paz process uses, or one with Paz state (without force); then writes every key. */
export async function restoreBackup(store: Store, backup: Backup, opts: RestoreOptions = {}): Promise<RestoreResult> {
  const { kvs } = await store.range(PAZ_PREFIX);
  const live = kvs.filter((kv) => isLiveProcessKey(kv.key));
  if (live.length > 0) {
    throw new RestoreRefusedError(
      `a Paz server or agent is live on ${store.name} (it holds ${live.slice(0, 3).map((kv) => kv.key).join(', ')}): ` +
        'stop every paz server, agent and paz up on this store first (paz down on each host); a process killed without stopping holds its keys until its lease runs out, about 10 s',
    );
  }
  let removed = 0;
  if (kvs.length > 0) {
    const halfway = kvs.some((kv) => kv.key === RESTORE_MARKER_KEY);
    if (!opts.force) {
      throw new RestoreRefusedError(
        halfway
          ? `${store.name} holds a restore that stopped halfway: run paz restore again with --force (it removes what the earlier one wrote first)`
          : `${store.name} already holds Paz state (${kvs.length} keys under /paz/): restore into an empty store, or give --force to remove that state first (it is lost)`,
      );
    }
    removed = await store.deletePrefix(PAZ_PREFIX);
  }
  const marker: TxnOp = { type: 'put', key: RESTORE_MARKER_KEY, value: JSON.stringify({ format: BACKUP_FORMAT, source: opts.source ?? '', revision: backup.header.revision, startedAt: new Date().toISOString() }) };
  // deploys the backup caught under way resume with their whole deadline (core/restore-resume.ts)
  const { entries, resumed } = resumeDeploys(backup.entries, Date.now());
  const puts: TxnOp[] = entries.map((e) => ({ type: 'put', key: e.key, value: e.value }));
  const chunks = chunkOps([marker, ...puts], store.limits);
  let first = true;
  for (const ops of chunks) {
    // the first txn claims the store: a second restore started at the same moment writes nothing
    const res = await store.txn({ compare: first ? [{ key: RESTORE_MARKER_KEY, target: 'createRevision', op: '=', value: 0 }] : [], success: ops });
    if (!res.succeeded) throw new RestoreRefusedError(`another restore into ${store.name} started at the same moment: let it finish, then check with paz kv ls /paz`);
    first = false;
  }
  await store.delete(RESTORE_MARKER_KEY);
  return { keys: puts.length, txns: chunks.length + 1, removed, resumedUnits: resumed };
}

/**
 * Why Paz must not start on `store`: a restore that stopped halfway (its marker is still there), or
 * undefined. A control plane acting on part of a state would place units of versions not written yet.
 */
export async function unfinishedRestore(store: Store): Promise<string | undefined> {
  const marker = await store.get(RESTORE_MARKER_KEY);
  if (!marker) return undefined;
  let source = '';
  try {
    source = (JSON.parse(marker.value) as { source?: string }).source ?? '';
  } catch {
    /* the key alone says enough */
  }
  return `${store.name} holds a restore that stopped halfway${source ? ` (from ${source})` : ''}: run paz restore FILE --force on it again, then start Paz`;
}
