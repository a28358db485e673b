/**
 * The embedded Store: one SQLite file (WAL, synchronous=FULL) that any number of processes on one
 * host may open at once, e.g. `paz server` and `paz agent` side by side.
 *
 * Three background timers run in every process that has the file open (all unref'd, all stopped by
 * close()):
 * - the poller notices writes made by other processes (a one-row read of the revision) and wakes
 *   the watches; our own writes wake them at once;
 * - the lease sweeper deletes the keys of expired leases; it is idempotent across processes;
 * - the compactor trims the revision log to the last `retainRevisions` revisions.
 *
 * better-sqlite3 is synchronous, so each operation runs to completion before the returned promise
 * settles; a write waits (blocking, up to busyTimeoutMs) while another process holds the write lock.
 */
import { resolve } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  StoreClosedError,
  type StoreLimits,
  type KeyValue,
  type Lease,
  type PutOptions,
  type MultiRangeResult,
  type RangeResult,
  type Store,
  StoreCompactedError,
  type TxnOp,
  type TxnRequest,
  type TxnResult,
  type Watch,
  type WatchEvent,
  type WatchOptions,
} from '../store.js';
import { IN_MEMORY, KvDatabase, type WriteResult } from './kv-database.js';
import { WatchFanout } from './watch-fanout.js';
import { validateOp } from '../validate-op.js';
import { checkTxnLimits } from '../txn-limits.js';

/**
 * SQLite has no limits of its own that matter here; these keep one write from holding the file's write
 * lock (and the event loop: better-sqlite3 is synchronous) for long, and are large enough that a deploy
 * of the most instances a service may have (1000) is one txn.
 */
export const SQLITE_LIMITS: StoreLimits = { maxTxnOps: 10_000, maxTxnBytes: 16 * 1024 * 1024 };

export interface SqliteStoreOptions {
  /** how many recent revisions the log keeps for watches at least (default 10,000) */
  retainRevisions?: number;
  /** how often to look for writes by other processes (default 100 ms) */
  pollIntervalMs?: number;
  /** how often to delete the keys of expired leases (default 250 ms) */
  leaseSweepIntervalMs?: number;
  /** how often to trim the log (default 5 s) */
  compactIntervalMs?: number;
  /** how long a write waits for another process's write lock before failing (default 5 s) */
  busyTimeoutMs?: number;
  /**
   * open an existing store without ever writing it (`paz backup`, `paz kv`): no schema set-up, no lease
   * sweeps or compaction (the writers' job), and every write refused
   */
  readOnly?: boolean;
  /** errors of the background timers (default: process warnings); the timers keep running */
  onBackgroundError?: (err: Error) => void;
}

const DEFAULTS = {
  retainRevisions: 10_000,
  pollIntervalMs: 100,
  leaseSweepIntervalMs: 250,
  compactIntervalMs: 5_000,
  busyTimeoutMs: 5_000,
};

/** expired leases handled per sweep tick; the rest wait for the next tick */
const SWEEP_BATCH = 100;

/** `file` is a path, or ':memory:' for a private store that lives and dies with this object. */
export class SqliteStore implements Store {
  readonly name: string;
  readonly limits: StoreLimits = SQLITE_LIMITS;
  private readonly db: KvDatabase;
  private readonly fanout: WatchFanout;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly retainRevisions: number;
  private readonly onBackgroundError: (err: Error) => void;
  private closed = false;
  private readonly readOnly: boolean;

  constructor(file: string, options: SqliteStoreOptions = {}) {
    const opts = { ...DEFAULTS, ...options };
    const path = file === IN_MEMORY ? IN_MEMORY : resolve(file);
    this.name = `sqlite:${path}`;
    this.retainRevisions = Math.max(1, Math.floor(opts.retainRevisions));
    this.onBackgroundError = options.onBackgroundError
      ?? ((err) => process.emitWarning(`${this.name}: ${err.message}`, { type: 'PazStoreWarning' }));
    this.readOnly = options.readOnly === true;
    this.db = new KvDatabase(path, opts.busyTimeoutMs, this.readOnly);
    this.fanout = new WatchFanout(this.db, (err) => this.background(err));

    this.every(opts.pollIntervalMs, () => this.pollForeignWrites());
    if (this.readOnly) return;
    this.every(opts.leaseSweepIntervalMs, () => this.sweepExpiredLeases());
    this.every(opts.compactIntervalMs, () => this.compactOldRevisions());
    // leases that expired while no process had the file open go now, not a tick later
    this.guarded(() => this.sweepExpiredLeases());
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.assertOpen();
    return this.db.get(key);
  }

  async range(prefix: string): Promise<RangeResult> {
    this.assertOpen();
    return this.db.range(prefix);
  }

  async rangeMany(prefixes: readonly string[]): Promise<MultiRangeResult> {
    this.assertOpen();
    return this.db.rangeMany(prefixes);
  }

  async put(key: string, value: string, opts: PutOptions = {}): Promise<number> {
    await this.writeTurn();
    const result = this.write([{ type: 'put', key, value, lease: opts.lease }]);
    return result.revision as number;
  }

  async delete(key: string): Promise<number> {
    await this.writeTurn();
    return this.write([{ type: 'delete', key }]).deleted;
  }

  async deletePrefix(prefix: string): Promise<number> {
    await this.writeTurn();
    return this.write([{ type: 'deletePrefix', prefix }]).deleted;
  }

  async txn(req: TxnRequest): Promise<TxnResult> {
    await this.writeTurn();
    for (const op of [...req.success, ...(req.failure ?? [])]) validateOp(op);
    checkTxnLimits(req, this.limits);
    const result = this.db.applyTxn(req, Date.now());
    // a pass that finds nothing new is one cheap read; not worth telling "wrote" from "only compared"
    this.fanout.schedule();
    return result;
  }

  async watch(prefix: string, listener: (events: WatchEvent[]) => void, opts: WatchOptions = {}): Promise<Watch> {
    this.assertOpen();
    const { fromRevision } = opts;
    if (fromRevision !== undefined && (!Number.isSafeInteger(fromRevision) || fromRevision < 1)) {
      throw new TypeError(`watch fromRevision must be a whole number >= 1, got ${fromRevision}`);
    }
    const meta = this.db.meta();
    const start = fromRevision ?? meta.revision + 1;
    if (start <= meta.compacted) {
      this.fanout.failLater(opts.onError, new StoreCompactedError(start, meta.compacted));
      return { cancel: async () => {} };
    }
    const handle = this.fanout.add(prefix, start, listener, opts.onError);
    return {
      cancel: async () => handle.cancel(),
    };
  }

  async grantLease(ttlSeconds: number): Promise<Lease> {
    this.assertWritable();
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1) {
      throw new TypeError(`lease TTL must be a whole number of seconds >= 1, got ${ttlSeconds}`);
    }
    return { id: this.db.grantLease(ttlSeconds, Date.now()), ttlSeconds };
  }

  async keepAlive(leaseId: number): Promise<boolean> {
    this.assertWritable();
    return this.db.keepAlive(leaseId, Date.now());
  }

  async revoke(leaseId: number): Promise<void> {
    this.assertWritable();
    this.afterWrite(this.db.revoke(leaseId));
  }

  async revision(): Promise<number> {
    this.assertOpen();
    const revision = this.db.revision();
    // another process wrote: whoever asks is about to wait for the watches to see it (state/store-mirror.ts),
    // so deliver now rather than at the poller's next turn
    if (revision > this.fanout.lastSeenRevision && this.fanout.size > 0) this.fanout.schedule();
    return revision;
  }

  async compact(revision: number): Promise<void> {
    this.assertWritable();
    if (!Number.isSafeInteger(revision) || revision < 1) {
      throw new TypeError(`compact revision must be a whole number >= 1, got ${revision}`);
    }
    this.db.compact(revision);
    // watches now below the compaction point learn it on the next pass
    this.fanout.schedule();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    this.fanout.stop();
    this.db.close();
  }

  /**
   * Every write waits for a turn of the event loop of its own first. better-sqlite3 writes synchronously
   * and the promise it returns is already settled, so a caller writing in a loop (the rollout controller
   * retiring 1000 units, one txn each) never gave the loop back: hundreds of ms in one go. Writes still
   * run in call order.
   */
  private async writeTurn(): Promise<void> {
    this.assertWritable();
    await nextTurn();
    this.assertOpen();
  }

  private write(ops: TxnOp[]): WriteResult {
    for (const op of ops) validateOp(op);
    checkTxnLimits({ compare: [], success: ops }, this.limits);
    return this.afterWrite(this.db.applyOps(ops, Date.now()));
  }

  private afterWrite(result: WriteResult): WriteResult {
    if (result.revision !== undefined) this.fanout.schedule();
    return result;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.readOnly) throw new Error(`${this.name} is open read-only: nothing can be written through it`);
  }

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(() => this.guarded(fn), ms);
    timer.unref();
    this.timers.push(timer);
  }

  private guarded(fn: () => void): void {
    if (this.closed) return;
    try {
      fn();
    } catch (err) {
      this.background(err);
    }
  }

  private background(err: unknown): void {
    if (this.closed) return;
    this.onBackgroundError(err instanceof Error ? err : new Error(String(err)));
  }

  private pollForeignWrites(): void {
    if (this.fanout.size === 0) return;
    if (this.db.revision() > this.fanout.lastSeenRevision) this.fanout.deliver();
  }

  private sweepExpiredLeases(): void {
    const now = Date.now();
    for (const leaseId of this.db.expiredLeases(now, SWEEP_BATCH)) this.afterWrite(this.db.expireLease(leaseId, now));
  }

  private compactOldRevisions(): void {
    const { revision, compacted } = this.db.meta();
    // never drop what a watch of this process has yet to receive (watches of other processes
    // are protected only by the retention window)
    const keepFrom = Math.min(revision - this.retainRevisions + 1, this.fanout.oldestCursor() ?? Infinity);
    if (keepFrom - 1 > compacted) {
      this.db.compact(keepFrom);
      this.fanout.schedule();
    }
  }
}
