/**
 * Runs operations on the same key one after another, and operations on different keys freely: a unit's
 * start, restart, stop and remove never interleave, while other units' proceed.
 */
export class KeyedQueue {
  /** the tail of each key's chain; it never rejects, so the next operation starts once the previous settled */
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const run = previous.then(fn);
    const tail = run.catch(() => {});
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }

  /** keys with an operation queued or running (for tests and leak checks) */
  get size(): number {
    return this.tails.size;
  }
}
