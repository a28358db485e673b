/**
 * Finishes or undoes chunked writes (chunked-writes.ts) whose writer died half-way, when no other
 * writer of the service comes along to do it first: a crashed deploy's staged units are deleted, a
 * crashed scale is carried on to its count. Runs on the leader; wakes when a write lock goes away
 * (its lease ran out) or a pending record appears, and looks again every interval.
 */
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import { StoreLoop } from '../state/store-loop.js';
import { keys } from '../core/keys.js';
import { Deploys } from '../state/deploys.js';

export class PendingWritesLoop {
  private readonly loop: StoreLoop;
  private readonly deploys: Deploys;

  constructor(private readonly store: Store, private readonly logger: Logger, intervalMs = 10_000) {
    this.deploys = new Deploys(store);
    const prefixes = [keys.pendingWritesPrefix(), keys.writeLocksPrefix()];
    this.loop = new StoreLoop({ store, name: 'pending-writes', logger, prefixes, intervalMs, pass: () => this.pass() });
  }

  start(): Promise<void> {
    return this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async pass(): Promise<void> {
    const prefix = keys.pendingWritesPrefix();
    for (const kv of (await this.store.range(prefix)).kvs) {
      const service = kv.key.slice(prefix.length);
      // a held lock is a live writer (or a crashed one whose lease has not run out yet): not ours
      if (await this.store.get(keys.writeLock(service))) continue;
      // recovered here, nothing left for an operator to do: info
      if (await this.deploys.writes.recover(service)) this.logger.info({ service, pending: kv.value }, 'finished a write whose writer stopped half-way');
    }
  }
}
