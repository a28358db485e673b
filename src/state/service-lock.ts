/**
 * A per-service write lock for writes that take several store txns (a deploy, scale or delete too big
 * for one txn; see chunked-writes.ts). Created with compare-and-swap under a lease, so a writer that
 * dies frees it when the lease runs out; every txn the holder writes carries `fence`, so a holder that
 * lost the lock (its lease expired while it was stalled) can write nothing more. Writers that fit one
 * txn do not take it: they only check that nobody holds it (`unlocked`).
 */
import { randomBytes } from 'node:crypto';
import type { Compare, Store } from '../store/store.js';
import { keys } from '../core/keys.js';
import { PazError } from '../core/errors.js';

/** long enough that a busy writer keeps it; short enough that a crashed one frees it soon */
export const LOCK_TTL_SECONDS = 15;
/** how long a writer waits for another's lock before answering CONFLICT */
export const LOCK_WAIT_MS = 60_000;
const POLL_MS = 100;

export class ServiceLock {
  private readonly timer: NodeJS.Timeout;
  private lost = false;

  constructor(
    private readonly store: Store,
    readonly service: string,
    readonly token: string,
    private readonly leaseId: number,
    ttlSeconds: number,
  ) {
    this.timer = setInterval(() => {
      void store.keepAlive(leaseId).then((alive) => { if (!alive) this.lost = true; }, () => undefined);
    }, Math.max(1000, (ttlSeconds * 1000) / 3));
    this.timer.unref();
  }

  /** the compare every txn of the holder carries */
  get fence(): Compare {
    return { key: keys.writeLock(this.service), target: 'value', op: '=', value: this.token };
  }

  get isLost(): boolean {
    return this.lost;
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.store.revoke(this.leaseId).catch(() => undefined);
  }
}

/** The compare of a single-txn writer: nobody holds the service's lock. */
export function unlocked(service: string): Compare {
  return { key: keys.writeLock(service), target: 'createRevision', op: '=', value: 0 };
}

/** Takes the lock once, or resolves undefined when someone holds it. */
export async function tryLockService(store: Store, service: string, ttlSeconds = LOCK_TTL_SECONDS): Promise<ServiceLock | undefined> {
  const lease = await store.grantLease(ttlSeconds);
  const token = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const res = await store.txn({
    compare: [unlocked(service)],
    success: [{ type: 'put', key: keys.writeLock(service), value: token, lease: lease.id }],
  }).catch(async (err) => {
    await store.revoke(lease.id).catch(() => undefined);
    throw err;
  });
  if (res.succeeded) return new ServiceLock(store, service, token, lease.id, lease.ttlSeconds);
  await store.revoke(lease.id).catch(() => undefined);
  return undefined;
}

/** Takes the lock, waiting (up to waitMs) while another writer holds it. */
export async function lockService(store: Store, service: string, waitMs = LOCK_WAIT_MS): Promise<ServiceLock> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (!(await store.get(keys.writeLock(service)))) {
      const lock = await tryLockService(store, service);
      if (lock) return lock;
    }
    if (Date.now() > deadline) {
      throw new PazError('CONFLICT', `service "${service}" is being deployed, scaled or deleted by someone else right now: try again when that is done`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
