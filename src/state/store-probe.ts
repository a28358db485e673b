/**
 * Whether this process can reach the store's quorum now: a linearizable read (the store's revision) every
 * interval; "unreachable" means none succeeded within the last `staleMs` and one failed since. A server cut off from
 * etcd's majority gets "no leader" or no answer at all; until it reaches the quorum again it reports itself
 * unready (/health 503) and answers API calls with a 503 at once, instead of making each caller wait out the
 * store's call timeout.
 *
 * Reads overlap (up to MAX_IN_FLIGHT): a read that meets an unreachable member waits out that attempt's
 * deadline before the etcd client moves it to another member (up to the call's bound, 5 s). A process on
 * the majority side keeps getting answers from the other members meanwhile, so it stays ready; one that
 * gets none goes unready.
 */
import type { Store } from '../store/store.js';

export interface StoreProbeOptions {
  intervalMs?: number;
  /** unreachable when no read succeeded for this long */
  staleMs?: number;
  /** called when reachability changes: undefined when reachable again, else why not */
  onChange?: (problem: string | undefined) => void;
}

const MAX_IN_FLIGHT = 4;

export class StoreProbe {
  private lastOkAt = Date.now();
  private lastError: string | undefined;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private reported: string | undefined;
  private readonly intervalMs: number;
  private readonly staleMs: number;

  constructor(private readonly store: Store, private readonly opts: StoreProbeOptions = {}) {
    this.intervalMs = opts.intervalMs ?? 1000;
    this.staleMs = opts.staleMs ?? 5000;
  }

  start(): void {
    this.lastOkAt = Date.now();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** why the store is unreachable now, or undefined when a read succeeded recently */
  unavailable(): string | undefined {
    // a read must also have failed since: a process whose event loop was merely busy is not cut off
    if (Date.now() - this.lastOkAt <= this.staleMs || this.lastError === undefined) return undefined;
    return `no read of ${this.store.name} succeeded for ${Math.round((Date.now() - this.lastOkAt) / 1000)} s (last error: ${this.lastError})`;
  }

  /** one read now (also what each interval runs); resolves when it is answered */
  async tick(): Promise<void> {
    this.report();
    if (this.inFlight >= MAX_IN_FLIGHT) return;
    this.inFlight++;
    try {
      await this.store.revision();
      this.lastOkAt = Date.now();
      this.lastError = undefined;
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
    } finally {
      this.inFlight--;
      this.report();
    }
  }

  private report(): void {
    const problem = this.unavailable();
    if ((problem === undefined) !== (this.reported === undefined)) this.opts.onChange?.(problem);
    this.reported = problem;
  }
}
