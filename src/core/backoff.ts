/**
 * Exponential backoff, the one way Paz spaces out retries: `initialMs`, then `factor` (default 2) times
 * the previous delay, never more than `maxMs`. Pure; the `Backoff` class only counts the attempts for
 * places that retry over time and start again from the first delay once things work.
 */

export interface BackoffOptions {
  /** the first delay */
  initialMs: number;
  /** no delay is longer than this */
  maxMs: number;
  /** each delay is this many times the one before (default 2) */
  factor?: number;
}

/** The delay before retry number `attempt` (0 = the first retry): min(maxMs, initialMs × factor^attempt). */
export function backoffDelayMs(attempt: number, opts: BackoffOptions): number {
  const delay = opts.initialMs * (opts.factor ?? 2) ** Math.max(0, attempt);
  // NaN (0 × Infinity after very many attempts) counts as past the cap
  return delay <= opts.maxMs ? delay : opts.maxMs;
}

/** The delays of one retry sequence: `next()` hands out the next delay, `reset()` starts over. */
export class Backoff {
  private attempt = 0;

  constructor(private readonly opts: BackoffOptions) {}

  /** The delay to wait now; the one after it is longer (up to maxMs). */
  next(): number {
    const delay = backoffDelayMs(this.attempt, this.opts);
    // once at the cap the count stops growing, so it never overflows
    if (delay < this.opts.maxMs) this.attempt++;
    return delay;
  }

  /** Back to the first delay (the thing being retried works again). */
  reset(): void {
    this.attempt = 0;
  }
}
