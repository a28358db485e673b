/**
 * HOW a deploy or a scale is written when it may be larger than one store txn (etcd: 128 ops and
 * 1.5 MiB per txn; a service may have 1000 instances). WHAT is written is decided by the caller
 * (deploys.ts); this module only gets it into the store so that readers see each deploy as one step.
 *
 * - Fits one txn (always on SQLite, small services on etcd): one txn, as before, which also checks
 *   that no big write of the service is in progress (its lock is free, nothing is pending).
 * - Too big: under the service's write lock (service-lock.ts), with a pending-write record so that a
 *   writer that dies half-way is finished or undone by the next writer of the service or by the
 *   leader's PendingWritesLoop:
 *   - a deploy writes its units in chunks first ("staged": their version is above the committed latest
 *     version, so every reader ignores them; core/committed-units.ts), then commits with one small
 *     txn (latest, deploy record, rollout status, journal). A stager that dies leaves staged units,
 *     which recovery deletes with one deletePrefix of that version's units.
 *   - a scale first commits its intent (the service's new instance count and the pending record), then
 *     writes its units in chunks; a scale is level-triggered (re-planned from the store until nothing
 *     is left to do), so a chunk that lost a race, or a writer that died, converges on the next run.
 *     Readers may see a scale half-way (some instances added): that is no version's half, only a count.
 */
import { StoreWriteOutcomeUnknownError, type Compare, type Store, type TxnOp } from '../store/store.js';
import { chunkWrites, fitsOneTxn, type GuardedOp } from '../store/chunk-ops.js';
import { keys } from '../core/keys.js';
import { PazError } from '../core/errors.js';
import { getJson } from '../store/json.js';
import { lockService, tryLockService, unlocked, type ServiceLock } from './service-lock.js';

/** What a big write of a service was doing, kept until it finished or was undone. */
export interface PendingWrite {
  op: 'deploy' | 'scale';
  service: string;
  /** the version being staged (deploy) or scaled (scale) */
  version: number;
  /** the instance count a scale goes to */
  count?: number;
  startedAt: number;
  by: string;
}

export interface DeployWrite {
  service: string;
  version: number;
  /** the deploy's compare-and-swap (service doc and latest version unchanged) */
  compare: Compare[];
  /** the puts of the version's desired units */
  unitOps: TxnOp[];
  /** the small set of puts that commits the version (latest, record, status, journal) */
  commitOps: TxnOp[];
}

export interface ScalePlan {
  version: number;
  /** the service doc's new count, guarded by its modRevision: written first, it is the scale's intent */
  intent: GuardedOp;
  /** unit puts (adds, drains), each guarded by what it expects */
  unitWrites: GuardedOp[];
  journal?: TxnOp;
  added: string[];
  draining: string[];
}

/** Plans a scale from the store's current state (deploys.ts); called again until nothing is left to do. */
export type ScalePlanner = (service: string, count: number, actor?: string) => Promise<ScalePlan>;

/** re-plans of one scale before giving up; each is caused by a concurrent change of a unit */
const MAX_SCALE_ROUNDS = 20;

export function noPendingWrite(service: string): Compare {
  return { key: keys.pendingWrite(service), target: 'createRevision', op: '=', value: 0 };
}

export class ChunkedWrites {
  constructor(
    private readonly store: Store,
    private readonly planScale: ScalePlanner,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Writes a deploy; resolves false when its compare-and-swap lost (the caller plans again). When the store's
   * answer to one of its writes was lost (a stalled process, a cut link: StoreWriteOutcomeUnknownError) and the
   * commit is in the store by now, the deploy was made and resolves true: its caller answers 201, not "may or may
   * not have been made". (After a staged deploy the lock is released by then, so a commit still on its way can no
   * longer land; a single txn may still, so only a commit seen counts, never one not seen.)
   */
  async deploy(w: DeployWrite): Promise<boolean> {
    try {
      return await this.deployOnce(w);
    } catch (err) {
      if (err instanceof StoreWriteOutcomeUnknownError && (await this.committed(w).catch(() => false))) return true;
      throw err;
    }
  }

  /** Whether this write's own commit is in the store: its deploy record, byte for byte (another writer's has its own time and trigger). */
  private async committed(w: DeployWrite): Promise<boolean> {
    const record = w.commitOps.find((op) => op.type === 'put' && op.key === keys.deploy(w.service, w.version));
    if (!record || record.type !== 'put') return false;
    return (await this.store.get(record.key))?.value === record.value;
  }

  private async deployOnce(w: DeployWrite): Promise<boolean> {
    const guards = [unlocked(w.service), noPendingWrite(w.service)];
    if (fitsOneTxn([...w.unitOps, ...w.commitOps], this.store.limits, { compare: [...w.compare, ...guards] })) {
      const res = await this.store.txn({ compare: [...w.compare, ...guards], success: [...w.commitOps, ...w.unitOps] });
      if (!res.succeeded) await this.settleIfBusy(w.service);
      return res.succeeded;
    }
    return this.withLock(w.service, (lock) => this.stagedDeploy(lock, w));
  }

  /** Writes a scale planned by the planner; resolves false when the one-txn compare-and-swap lost. */
  async scale(service: string, count: number, actor?: string): Promise<{ done: boolean; plan: ScalePlan }> {
    const plan = await this.planScale(service, count, actor);
    const guards = [unlocked(service), noPendingWrite(service)];
    const compare = [...guards, ...guardsOf([plan.intent, ...plan.unitWrites])];
    const ops = [plan.intent.op, ...plan.unitWrites.map((u) => u.op), ...(plan.journal ? [plan.journal] : [])];
    if (fitsOneTxn(ops, this.store.limits, { compare })) {
      const res = await this.store.txn({ compare, success: ops });
      if (!res.succeeded) await this.settleIfBusy(service);
      return { done: res.succeeded, plan };
    }
    const first = await this.withLock(service, (lock) => this.scaleLocked(lock, count, true, actor));
    return { done: true, plan: first };
  }

  /**
   * Finishes or undoes a big write whose writer is gone (its lock is free); for the leader's loop.
   * Resolves false when the service's lock is held (its writer is alive, or it is another's turn).
   */
  async recover(service: string): Promise<boolean> {
    const lock = await tryLockService(this.store, service);
    if (!lock) return false;
    try {
      await this.recoverLocked(lock);
      return true;
    } finally {
      await lock.release();
    }
  }

  /** Runs fn under the service's lock, after finishing or undoing what a dead writer left. */
  async withLock<T>(service: string, fn: (lock: ServiceLock) => Promise<T>): Promise<T> {
    const lock = await lockService(this.store, service);
    try {
      await this.recoverLocked(lock);
      return await fn(lock);
    } finally {
      await lock.release();
    }
  }

  /** After a one-txn write lost: if a big write holds the service, wait for it (and clean up after it). */
  private async settleIfBusy(service: string): Promise<void> {
    const [lockKv, pending] = await Promise.all([this.store.get(keys.writeLock(service)), this.store.get(keys.pendingWrite(service))]);
    if (lockKv || pending) await this.withLock(service, async () => undefined);
  }

  private async recoverLocked(lock: ServiceLock): Promise<void> {
    const pending = await getJson<PendingWrite>(this.store, keys.pendingWrite(lock.service));
    if (!pending) return;
    if (pending.op === 'scale' && pending.count !== undefined) {
      await this.scaleLocked(lock, pending.count, false);
      return;
    }
    await this.unstage(lock, pending.version);
  }

  /** Deletes the staged (never committed) units of `version` and the pending record. */
  private async unstage(lock: ServiceLock, version: number): Promise<void> {
    const latest = Number((await this.store.get(keys.latest(lock.service)))?.value ?? 0);
    const ops: TxnOp[] = [{ type: 'delete', key: keys.pendingWrite(lock.service) }];
    // a committed version's units are live: only a version above the latest is a stager's leftover
    if (version > latest) ops.push({ type: 'deletePrefix', prefix: keys.desiredUnitsOfVersion(lock.service, version) });
    await this.fenced(lock, [], ops);
  }

  private async stagedDeploy(lock: ServiceLock, w: DeployWrite): Promise<boolean> {
    const pending: PendingWrite = { op: 'deploy', service: w.service, version: w.version, startedAt: this.now(), by: lock.token };
    // a stale plan (someone deployed meanwhile) is not worth staging: the pending record's txn checks the plan's
    // compare-and-swap and stages nothing when it lost (a txn of its own for that check cost every deploy a round trip)
    if (!(await this.fenced(lock, w.compare, [{ type: 'put', key: keys.pendingWrite(w.service), value: JSON.stringify(pending) }]))) return false;
    // staged units are invisible until the commit, so their chunks go out together (a 1000-unit deploy is 8 txns
    // on etcd: one after another, each waited a round trip behind the last); all have landed, or failed, before
    // the commit or the lock's release
    const staged = await Promise.allSettled(chunkWrites(w.unitOps.map((op) => ({ op })), this.store.limits, { compare: [lock.fence] }).map((chunk) => this.fencedOrThrow(lock, [], chunk.ops)));
    for (const r of staged) if (r.status === 'rejected') throw r.reason;
    const committed = await this.fenced(lock, w.compare, [...w.commitOps, { type: 'delete', key: keys.pendingWrite(w.service) }]);
    if (!committed) await this.unstage(lock, w.version);
    return committed;
  }

  /** Converges the service on `count` instances, in chunks; resolves the first round's plan (the answer). */
  private async scaleLocked(lock: ServiceLock, count: number, journal: boolean, actor?: string): Promise<ScalePlan> {
    const service = lock.service;
    let first: ScalePlan | undefined;
    for (let round = 0; round < MAX_SCALE_ROUNDS; round++) {
      const plan = await this.planScale(service, count, actor);
      if (!first) {
        first = plan;
        // the intent: the new count (later deploys use it) and the pending record, in one txn
        const pending: PendingWrite = { op: 'scale', service, version: plan.version, count, startedAt: this.now(), by: lock.token };
        const ok = await this.fenced(lock, guardsOf([plan.intent]), [plan.intent.op, { type: 'put', key: keys.pendingWrite(service), value: JSON.stringify(pending) }]);
        if (!ok) {
          first = undefined;
          continue;
        }
      }
      if (plan.unitWrites.length === 0) {
        const ops: TxnOp[] = [{ type: 'delete', key: keys.pendingWrite(service) }];
        if (journal && first.journal) ops.push(first.journal);
        await this.fencedOrThrow(lock, [], ops);
        return first;
      }
      // a chunk that lost a race (a unit changed meanwhile) ends the round: the next one re-plans;
      // when every chunk landed, the next round's plan is empty, which ends the scale
      for (const chunk of chunkWrites(plan.unitWrites, this.store.limits, { compare: [lock.fence] })) {
        if (!(await this.fenced(lock, chunk.compare, chunk.ops))) break;
      }
    }
    throw new PazError('CONFLICT', `service "${service}" kept changing while it was being scaled: try again`);
  }

  /** One txn carrying the lock's fence; false when a compare failed, throws when the lock was lost. */
  private async fenced(lock: ServiceLock, compare: Compare[], ops: TxnOp[]): Promise<boolean> {
    const res = await this.store.txn({ compare: [lock.fence, ...compare], success: ops });
    if (res.succeeded) return true;
    const holder = await this.store.get(keys.writeLock(lock.service));
    if (holder?.value !== lock.token) throw lostLock(lock.service);
    return false;
  }

  private async fencedOrThrow(lock: ServiceLock, compare: Compare[], ops: TxnOp[]): Promise<void> {
    if (!(await this.fenced(lock, compare, ops))) throw lostLock(lock.service);
  }
}

function guardsOf(writes: GuardedOp[]): Compare[] {
  return writes.flatMap((w) => (w.compare ? [w.compare] : []));
}

function lostLock(service: string): PazError {
  return new PazError('CONFLICT', `the write to service "${service}" stalled and lost its lock to another writer: try again`);
}
