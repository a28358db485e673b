/**
 * Keeping synchronous work that grows with the number of units off one event-loop turn: a counting
 * semaphore (at most N under way) and a pacer (one caller per loop turn, so I/O is handled between
 * any two). Used where one event can ask for work on every unit at once (a deploy of 1000 units,
 * 1000 processes exiting together).
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';

/** A counting semaphore: run() waits for one of `limit` slots. */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a limiter needs a whole number of slots >= 1, got ${limit}`);
  }

  get pending(): number {
    return this.waiting.length;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      // hand the slot over directly, or free it
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/**
 * Lets callers through one per event-loop turn, in call order. An immediate scheduled from a check
 * phase runs in the next loop iteration, after that iteration's poll phase: timers and I/O get their
 * turn between any two callers. When the loop has been busy most of the time lately (each caller's
 * work sets off more: status writes, watch events, store reads), the next caller also waits a little
 * with the loop idle, so 1000 callers spread out instead of saturating it: a saturated loop serves
 * everything late, leases and HTTP included.
 */
export class Pacer {
  private tail: Promise<void> = Promise.resolve();
  private last: EventLoopUtilization = performance.eventLoopUtilization();

  constructor(
    /** busy share of the loop above which callers are slowed down */
    private readonly maxUtilization = 0.5,
    private readonly backoffMs = 20,
  ) {}

  turn(): Promise<void> {
    const mine = this.tail.then(() => this.next());
    this.tail = mine;
    return mine;
  }

  private async next(): Promise<void> {
    await nextTurn();
    const now = performance.eventLoopUtilization();
    const recent = performance.eventLoopUtilization(now, this.last);
    // judged over at least a few ms, so one long turn is not forgotten by the next short one
    if (recent.idle + recent.active < 5) return;
    this.last = now;
    if (recent.utilization > this.maxUtilization) await sleep(this.backoffMs);
  }
}
