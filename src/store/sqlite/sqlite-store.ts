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
 * Writes asked for in the same event-loop turn are committed together (group commit, see queueWrite).
 */
import { resolve } from 'node:path';
import {
  StoreClosedError,
  StoreFullError,
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
import { sqliteWriteError } from './sqlite-errors.js';

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
/**
 * How long before this process first saw its disk full a lease may have expired for that reason (another
 * process's keep-alives were refused first): expired leases are swept within a sweep interval (250 ms) while
 * writes work, so one still there had its sweep refused too.
 */
const FULL_DISK_MARGIN_MS = 5_000;

interface QueuedWrite {
  run: () => unknown;
  /** how many ops it writes at most, to bound a group commit */
  ops: number;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

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
  /** writes waiting for the next group commit (queueWrite) */
  private queued: QueuedWrite[] = [];
  private flushScheduled = false;
  private readonly busyTimeoutMs: number;
  /** when a write of this process was first refused for a full disk, until the leases are renewed after it */
  private fullSince: number | undefined;

  constructor(file: string, options: SqliteStoreOptions = {}) {
    const opts = { ...DEFAULTS, ...options };
    this.busyTimeoutMs = opts.busyTimeoutMs;
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
    const result = await this.write([{ type: 'put', key, value, lease: opts.lease }]);
    return result.revision as number;
  }

  async delete(key: string): Promise<number> {
    return (await this.write([{ type: 'delete', key }])).deleted;
  }

  async deletePrefix(prefix: string): Promise<number> {
    return (await this.write([{ type: 'deletePrefix', prefix }])).deleted;
  }

  async txn(req: TxnRequest): Promise<TxnResult> {
    this.assertOpen();
    for (const op of [...req.success, ...(req.failure ?? [])]) validateOp(op);
    checkTxnLimits(req, this.limits);
    return this.queueWrite(Math.max(req.success.length, req.failure?.length ?? 0), () => this.db.applyTxn(req, Date.now()));
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
    const handle = this.fanout.add(prefix, start, listener, opts.onError, opts.prevValues === true);
    return {
      cancel: async () => handle.cancel(),
    };
  }

  async grantLease(ttlSeconds: number): Promise<Lease> {
    this.assertWritable();
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1) {
      throw new TypeError(`lease TTL must be a whole number of seconds >= 1, got ${ttlSeconds}`);
    }
    try {
      return { id: this.db.grantLease(ttlSeconds, Date.now()), ttlSeconds };
    } catch (err) {
      throw this.writeError(err);
    }
  }

  /** at once, never in line behind the writes waiting for a group commit: a late refresh loses the lease */
  async keepAlive(leaseId: number): Promise<boolean> {
    this.assertWritable();
    try {
      return this.db.keepAlive(leaseId, Date.now());
    } catch (err) {
      throw this.writeError(err);
    }
  }

  async revoke(leaseId: number): Promise<void> {
    await this.queueWrite(1, () => this.db.revoke(leaseId));
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
    for (const w of this.queued.splice(0)) w.reject(new StoreClosedError());
    for (const timer of this.timers) clearInterval(timer);
    this.fanout.stop();
    this.db.close();
  }

  /**
   * Every write waits for a turn of the event loop of its own first, and the writes asked for until then are
   * made together: one SQLite transaction, so one commit and one fsync (group commit), each write still with
   * its own revision and its own outcome (kv-database.ts writeBatch). With synchronous=FULL the fsync is what
   * a write costs, and a host's agent, the placement loop and the rollout controller each write in their own
   * txns at the same moments: 100 hosts reporting their units made 100 fsyncs where one does. Writes run in
   * call order; none is acknowledged before its commit.
   *
   * The turn also keeps a caller writing in a loop (the rollout controller retiring 1000 units, one txn each)
   * from holding the event loop: better-sqlite3 writes synchronously.
   */
  private queueWrite<T>(ops: number, run: () => T): Promise<T> {
    this.assertWritable();
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ run, ops, resolve: resolve as (value: unknown) => void, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flushWrites());
  }

  private flushWrites(): void {
    this.flushScheduled = false;
    if (this.closed || this.queued.length === 0) return;
    // at most a max-size txn's worth of ops per commit (at least one write): SQLite holds the event loop
    let take = 0;
    let ops = 0;
    while (take < this.queued.length && (take === 0 || ops + this.queued[take].ops <= this.limits.maxTxnOps)) ops += this.queued[take++].ops;
    const batch = this.queued.splice(0, take);
    if (this.queued.length > 0) this.scheduleFlush();
    let results: ReturnType<KvDatabase['writeBatch']>;
    try {
      results = this.db.writeBatch(batch.map((w) => w.run));
    } catch (err) {
      // the commit itself failed (write lock not had within busyTimeoutMs, disk full): none of them happened
      const error = this.writeError(err);
      for (const w of batch) w.reject(error);
      return;
    }
    results.forEach((r, i) => (r.ok ? batch[i].resolve(r.value) : batch[i].reject(this.writeError(r.error))));
    // a pass that finds nothing new is one cheap read; not worth telling "wrote" from "only compared"
    this.fanout.schedule();
  }

  private async write(ops: TxnOp[]): Promise<WriteResult> {
    this.assertOpen();
    for (const op of ops) validateOp(op);
    checkTxnLimits({ compare: [], success: ops }, this.limits);
    return this.queueWrite(ops.length, () => this.db.applyOps(ops, Date.now()));
  }

  private writeError(err: unknown): unknown {
    const mapped = sqliteWriteError(err, this.name, this.busyTimeoutMs);
    if (mapped instanceof StoreFullError) this.fullSince ??= Date.now();
    return mapped;
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
    if (this.fullSince !== undefined) {
      // The disk was full: every lease holder's keep-alives were refused, and a lease that expired for that is no
      // lost holder (a host's lease gone takes its endpoints out of every router). They all get a whole TTL from
      // now, in one write that also tells whether there is room again; until then nothing is swept.
      try {
        this.db.renewLeasesSince(this.fullSince - FULL_DISK_MARGIN_MS, now);
      } catch (err) {
        const error = this.writeError(err);
        if (error instanceof StoreFullError) return;
        throw error;
      }
      this.fullSince = undefined;
      return;
    }
    try {
      for (const leaseId of this.db.expiredLeases(now, SWEEP_BATCH)) this.afterWrite(this.db.expireLease(leaseId, now));
    } catch (err) {
      throw this.writeError(err);
    }
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
