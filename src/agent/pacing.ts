/**
 * Keeping synchronous work that grows with the number of units off one event-loop turn: a counting
 * semaphore (at most N under way) and a pacer (one caller per loop turn, so I/O is handled between
 * any two). Used where one event can ask for work on every unit at once (a deploy of 1000 units,
 * 1000 processes exiting together).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

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
 * turn between any two callers.
 */
export class Pacer {
  private tail: Promise<void> = Promise.resolve();

  turn(): Promise<void> {
    const mine = this.tail.then(() => nextTurn()).then(() => undefined);
    this.tail = mine;
    return mine;
  }
}
