/**
 * Keys kept alive together under one lease, as a host's agent keeps its host record, unit statuses and
 * announced endpoints: if the holder dies, all of them disappear within the TTL; stop() removes them at
 * once. If the lease is lost (store restarted, long pause), a new one is granted and every key re-written.
 * This replaces Paz's announce sidekicks (`etcdctl set KEY VALUE --ttl 60` every 45 s).
 */
import type { Store } from '../store/store.js';

export interface LeaseSessionOptions {
  ttlSeconds: number;
  /** a refresh failed (store unreachable); the session keeps trying */
  onError?: (err: unknown) => void;
}

export class LeaseSession {
  private leaseId = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly owned = new Map<string, string>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly opts: LeaseSessionOptions,
  ) {}

  async start(): Promise<void> {
    await this.renew();
    this.schedule();
  }

  /** Writes (or rewrites) a key under the session's lease. Writes are applied in call order. */
  put(key: string, value: string): Promise<void> {
    this.owned.set(key, value);
    return this.serial(async () => {
      if (this.stopped || this.owned.get(key) !== value) return;
      await this.store.put(key, value, { lease: this.leaseId });
    });
  }

  /** Deletes a key the session owns. */
  delete(key: string): Promise<void> {
    if (!this.owned.delete(key)) return Promise.resolve();
    return this.serial(async () => {
      if (!this.stopped) await this.store.delete(key);
    });
  }

  has(key: string): boolean {
    return this.owned.has(key);
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async renew(): Promise<void> {
    const lease = await this.store.grantLease(this.opts.ttlSeconds);
    this.leaseId = lease.id;
    for (const [key, value] of this.owned) await this.store.put(key, value, { lease: lease.id });
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.refresh(), Math.max(200, (this.opts.ttlSeconds * 1000) / 3));
    this.timer.unref();
  }

  private async refresh(): Promise<void> {
    try {
      await this.serial(async () => {
        if (this.stopped) return;
        if (!(await this.store.keepAlive(this.leaseId))) await this.renew();
      });
    } catch (err) {
      this.opts.onError?.(err);
    }
    this.schedule();
  }

  /** Revokes the lease: every key of the session is deleted now. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.chain;
    if (this.leaseId !== 0) await this.store.revoke(this.leaseId).catch((err) => this.opts.onError?.(err));
    this.leaseId = 0;
  }
}
