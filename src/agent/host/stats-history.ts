/**
 * A fixed-size ring buffer of the most recent samples (host or unit stats): the dashboard's sparklines and
 * the API's "last N minutes" read it; memory stays bounded however long the agent runs.
 */
export class StatsHistory<T> {
  private readonly items: Array<T | undefined>;
  /** index the next push writes to */
  private next = 0;
  private count = 0;

  constructor(readonly capacity = 120) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Adds a sample, dropping the oldest once full. */
  push(sample: T): void {
    this.items[this.next] = sample;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** The newest sample, or undefined when empty. */
  latest(): T | undefined {
    return this.count === 0 ? undefined : this.items[(this.next - 1 + this.capacity) % this.capacity];
  }

  /** Samples oldest first; `last` limits it to the newest N. */
  toArray(last?: number): T[] {
    const n = last === undefined ? this.count : Math.max(0, Math.min(last, this.count));
    const out: T[] = [];
    for (let i = this.count - n; i < this.count; i++) {
      out.push(this.items[(this.next - this.count + i + this.capacity) % this.capacity] as T);
    }
    return out;
  }

  clear(): void {
    this.items.fill(undefined);
    this.next = 0;
    this.count = 0;
  }
}
