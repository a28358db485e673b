/**
 * Keys kept alive together under one lease, as a host's agent keeps its host record, unit statuses and
 * announced endpoints: if the holder dies, all of them disappear within the TTL; stop() removes them at
 * once. If the lease is lost (store restarted, long pause), a new one is granted and every key re-written.
 * This replaces Paz's announce sidekicks (`etcdctl set KEY VALUE --ttl 60` every 45 s).
 *
 * Writes are batched: whatever was asked within a few ms, or while a write was in flight, goes out together in one txn
 * (split to the store's limits), each key with its latest value. An agent starting 1000 units reports
 * thousands of states within seconds; one round trip each, in line, took longer than the lease's TTL.
 * The lease's refresh never waits behind those writes, for the same reason.
 */
import { LeaseNotFoundError, type Store, type TxnOp } from '../store/store.js';
import { setImmediate as nextTurn, setTimeout as delay } from 'node:timers/promises';
import { chunkOps } from '../store/chunk-ops.js';
import { Backoff } from '../core/backoff.js';
import { performance } from 'node:perf_hooks';

export interface LeaseSessionOptions {
  ttlSeconds: number;
  /** a refresh failed (store unreachable); the session keeps trying */
  onError?: (err: unknown) => void;
  /**
   * The store extended the lease (a keep-alive answered yes, or a new lease was granted and every key written
   * under it): `sentAt` is when that call was sent, on `monotonic` (the lease lives at least TTL past it).
   * The agent's fence counts from it (core/store-fence.ts).
   */
  onRenewed?: (sentAt: number) => void;
  /** a renewal (keep-alive or new lease) is being sent at `sentAt`, on `monotonic`: answered or not, it was asked */
  onRenewing?: (sentAt: number) => void;
  /** a clock that never jumps (default performance.now) */
  monotonic?: () => number;
}

/**
 * most keys per txn, whatever the store allows: the embedded store writes synchronously, and 2000 status
 * writes in one txn held the event loop for a good part of 100 ms
 */
const MAX_BATCH_OPS = 128;

/** how long a write waits for others to share its txn: a status reaches the store this much later at most */
const FLUSH_GATHER_MS = 5;

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class LeaseSession {
  private leaseId = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly owned = new Map<string, string>();
  /** owned keys written without the lease (put's `withoutLease`): they outlive the session */
  private readonly unleased = new Set<string>();
  /** keys written or deleted since the last flush, with who waits for them */
  private dirty = new Map<string, Waiter[]>();
  private flushing: Promise<void> | undefined;
  private leaseLost = false;
  /** spaces out the rewrites of keys whose write failed (store unreachable for a moment) */
  private readonly retry = new Backoff({ initialMs: 250, maxMs: 5_000 });
  private retryTimer: NodeJS.Timeout | undefined;
  /** the keys of the txns on their way to the store now, and when they are answered */
  private inFlight: { keys: ReadonlySet<string>; done: Promise<void> } | undefined;
  /** keys forgotten while a txn carrying them was on its way: that txn failing must not make them dirty again */
  private forgottenInFlight = new Set<string>();
  /** leases given up by abandon(): revoked before the next lease is granted */
  private abandoned: number[] = [];
  private abandons = 0;

  constructor(
    private readonly store: Store,
    private readonly opts: LeaseSessionOptions,
  ) {}

  async start(): Promise<void> {
    await this.renew();
    this.schedule();
  }

  /**
   * Writes (or rewrites) a key under the session's lease. A key's writes are applied in call order.
   * `withoutLease`: written in the session's batches but not attached to its lease, so it outlives the session
   * (a host's known-host record, which says when it was last seen, goes out in one txn with its host record:
   * two writes per heartbeat were 400 writes/s at 1,000 hosts).
   */
  put(key: string, value: string, opts: { withoutLease?: boolean } = {}): Promise<void> {
    this.owned.set(key, value);
    this.forgottenInFlight.delete(key);
    if (opts.withoutLease) this.unleased.add(key);
    else this.unleased.delete(key);
    return this.enqueue(key);
  }

  /** Deletes a key the session owns. */
  delete(key: string): Promise<void> {
    this.unleased.delete(key);
    this.forgottenInFlight.delete(key);
    if (!this.owned.delete(key)) return Promise.resolve();
    return this.enqueue(key);
  }

  has(key: string): boolean {
    return this.owned.has(key);
  }

  /**
   * Drops a key from the session without writing anything: it is not written again under a new lease, and
   * whoever waits for its write is answered. Unlike delete(), no delete is ever sent for it, so a key that
   * another host has written since (the same unit's status, placed there meanwhile) is never removed. With
   * abandon(), the copy in the store goes with the old lease. A write of it that is waiting to be tried again
   * (the store failed it) is never tried again; one already on its way may still land: settled() waits for it.
   */
  forget(key: string): void {
    this.owned.delete(key);
    this.unleased.delete(key);
    const waiters = this.dirty.get(key);
    this.dirty.delete(key);
    if (this.inFlight?.keys.has(key)) this.forgottenInFlight.add(key);
    for (const w of waiters ?? []) w.resolve();
  }

  /**
   * Resolves once no txn of the session that carries `key` is on its way to the store (answered, or failed).
   * After forget(key), nothing of the session writes the key later: whoever writes it next (an agent saying it
   * stopped) is not overwritten by a heartbeat's retry that was still in flight.
   */
  async settled(key: string): Promise<void> {
    while (this.inFlight?.keys.has(key)) await this.inFlight.done;
  }

  /**
   * Gives up the current lease (the agent fenced itself: what it announced under it is stale): it is no longer
   * kept alive, and the next contact with the store revokes it, which deletes the keys still attached to it
   * and none that another writer has taken over since, then grants a new lease and writes the owned keys.
   */
  abandon(): void {
    if (this.stopped) return;
    if (this.leaseId !== 0 && !this.abandoned.includes(this.leaseId)) this.abandoned.push(this.leaseId);
    this.abandons++;
    this.leaseLost = true;
    this.kick();
  }

  private enqueue(key: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiters = this.dirty.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.dirty.set(key, [{ resolve, reject }]);
      this.kick();
    });
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = (async () => {
      // a flush begins a moment later, so that what is asked meanwhile goes out in one txn: on a store that
      // writes synchronously (SQLite) nothing is ever "in flight", and each unit's every status change went
      // out in a txn (and an fsync) of its own, since units start one per event-loop turn (bounded-driver.ts)
      await delay(FLUSH_GATHER_MS);
      while ((this.dirty.size > 0 || this.leaseLost) && !this.stopped) {
        if (!(await this.flushOnce())) return;
      }
    })().finally(() => {
      this.flushing = undefined;
      // a stop() during the flush leaves writes nobody will make: settle their callers
      if (this.stopped) this.settle(this.takeDirty(), undefined);
    });
  }

  private takeDirty(): Map<string, Waiter[]> {
    const batch = this.dirty;
    this.dirty = new Map();
    return batch;
  }

  private settle(batch: Map<string, Waiter[]>, err: unknown): void {
    for (const waiters of batch.values()) for (const w of waiters) (err === undefined ? w.resolve() : w.reject(err));
  }

  /**
   * Writes every dirty key's current state (its value under the lease, or its deletion). Resolves false
   * when the store could not grant a new lease: the next refresh tries again, not a busy loop.
   */
  private async flushOnce(): Promise<boolean> {
    if (this.leaseLost) {
      // renew rewrites every owned key, dirty ones included; deleted ones went with the old lease
      const batch = this.takeDirty();
      const abandons = this.abandons;
      try {
        await this.renew();
        // given up again meanwhile (abandon() during the renewal): the lease just granted goes too
        if (abandons === this.abandons) this.leaseLost = false;
        this.settle(batch, undefined);
        return true;
      } catch (err) {
        this.settle(batch, err);
        this.opts.onError?.(err);
        return false;
      }
    }
    const batch = this.takeDirty();
    const ops: TxnOp[] = [];
    for (const key of batch.keys()) {
      const value = this.owned.get(key);
      ops.push(value === undefined ? { type: 'delete', key } : this.putOp(key, value, this.leaseId));
    }
    try {
      await this.carrying(new Set(batch.keys()), async () => {
        for (const [i, chunk] of this.chunks(ops).entries()) {
          if (i > 0) await nextTurn();
          await this.store.txn({ compare: [], success: chunk });
        }
      });
      this.settle(batch, undefined);
      this.retry.reset();
    } catch (err) {
      if (err instanceof LeaseNotFoundError) {
        // the lease is gone with its keys: the next flush grants a new one and rewrites them all
        this.leaseLost = true;
        for (const [key, waiters] of batch) {
          if (this.forgottenInFlight.has(key)) for (const w of waiters) w.resolve();
          else this.dirty.set(key, [...waiters, ...(this.dirty.get(key) ?? [])]);
        }
        return true;
      }
      // The callers hear of the failure, but the keys are still this session's to write: left as they were,
      // a unit's status or endpoint stayed stale in the store until its next change (a host that lost an etcd
      // member kept announcing stopped units). They are written again, current values, after a pause.
      this.settle(batch, err);
      this.opts.onError?.(err);
      // (not a key forgotten meanwhile: a retry would write it, or delete it by name, after its new owner did)
      for (const key of batch.keys()) if (!this.dirty.has(key) && !this.forgottenInFlight.has(key)) this.dirty.set(key, []);
      this.retryLater();
      return false;
    }
    return true;
  }

  private retryLater(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, this.retry.next());
    this.retryTimer.unref();
  }

  private async renew(): Promise<void> {
    const sentAt = this.monotonic();
    this.opts.onRenewing?.(sentAt);
    // a lease given up goes first (its keys with it): a failure here (store unreachable) fails the renewal,
    // which the next refresh tries again; an expired lease is no failure (etcd-store.ts revoke)
    for (const id of [...this.abandoned]) {
      await this.store.revoke(id);
      this.abandoned = this.abandoned.filter((x) => x !== id);
    }
    const lease = await this.store.grantLease(this.opts.ttlSeconds);
    this.leaseId = lease.id;
    const ops: TxnOp[] = [...this.owned].map(([key, value]) => this.putOp(key, value, lease.id));
    await this.carrying(new Set(this.owned.keys()), async () => {
      for (const chunk of this.chunks(ops)) await this.store.txn({ compare: [], success: chunk });
    });
    this.opts.onRenewed?.(sentAt);
  }

  /** Runs `write`, the txns that carry `keys`, known as in flight until they are answered (settled()). */
  private async carrying(keys: ReadonlySet<string>, write: () => Promise<void>): Promise<void> {
    let done!: () => void;
    // the session's txns go one after another: whatever the last one's failure did with its keys is done
    this.forgottenInFlight.clear();
    this.inFlight = { keys, done: new Promise<void>((r) => (done = r)) };
    try {
      await write();
    } finally {
      this.inFlight = undefined;
      done();
    }
  }

  private putOp(key: string, value: string, lease: number): TxnOp {
    return this.unleased.has(key) ? { type: 'put', key, value } : { type: 'put', key, value, lease };
  }

  private monotonic(): number {
    return (this.opts.monotonic ?? performance.now.bind(performance))();
  }

  private chunks(ops: TxnOp[]): TxnOp[][] {
    const limits = this.store.limits;
    return chunkOps(ops, { maxTxnOps: Math.min(limits.maxTxnOps, MAX_BATCH_OPS), maxTxnBytes: limits.maxTxnBytes });
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.refresh(), Math.max(200, (this.opts.ttlSeconds * 1000) / 3));
    this.timer.unref();
  }

  private async refresh(): Promise<void> {
    try {
      // the keep-alive is not in line behind the writes: a refresh late by a few thousand status writes lost the lease
      const sentAt = this.monotonic();
      if (this.stopped) {
        /* nothing to keep */
      } else if (this.leaseLost) {
        // lost or abandoned: never kept alive again; the flush grants a new one (a failed one waits for the next refresh)
        this.kick();
        await this.flushing;
      } else {
        this.opts.onRenewing?.(sentAt);
        if (await this.store.keepAlive(this.leaseId)) {
          // abandoned while the keep-alive was on its way: not a renewal of the lease the session holds now
          if (!this.leaseLost) this.opts.onRenewed?.(sentAt);
        } else {
          this.leaseLost = true;
          this.kick();
          await this.flushing;
        }
      }
    } catch (err) {
      this.opts.onError?.(err);
    }
    this.schedule();
  }

  /** Revokes the lease: every key of the session is deleted now. */
  async stop(): Promise<void> {
    // what was asked before stop() is written first (a unit's last status, a withdrawn endpoint)
    await this.flushing;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.settle(this.takeDirty(), undefined);
    for (const id of [...this.abandoned, this.leaseId]) if (id !== 0) await this.store.revoke(id).catch((err) => this.opts.onError?.(err));
    this.abandoned = [];
    this.leaseId = 0;
  }
}
