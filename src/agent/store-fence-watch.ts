/**
 * Feeds the agent's lease renewals and the passing of time (both on the monotonic clock) to the pure fence
 * decision (core/store-fence.ts), and calls `onFence` / `onRejoin` when it says so. The I/O stays with the
 * caller: the agent stops its units on a fence and re-syncs them on a rejoin.
 */
import { performance } from 'node:perf_hooks';
import { initialFence, nextFence, type FenceAction, type FenceState, type FenceTimes } from '../core/store-fence.js';

/** how often time passing is looked at: the fence comes at most this late */
const TICK_MS = 500;

export interface StoreFenceWatchOptions {
  /** the grace and lease TTL in force now (the grace can change: state/host-loss-grace.ts) */
  times: () => FenceTimes;
  onFence: (silentMs: number, times: FenceTimes) => void;
  onRejoin: (fencedForMs: number) => void;
  /** default performance.now (never the wall clock) */
  monotonic?: () => number;
}

export class StoreFenceWatch {
  private state: FenceState;
  private timer: NodeJS.Timeout | undefined;
  private readonly monotonic: () => number;

  constructor(private readonly opts: StoreFenceWatchOptions) {
    this.monotonic = opts.monotonic ?? (() => performance.now());
    this.state = initialFence(this.monotonic());
  }

  get fenced(): boolean {
    return this.state.fencedAt !== undefined;
  }

  /** A renewal is being sent (lease-session.ts onRenewing). */
  renewing(sentAt: number): void {
    this.apply(nextFence(this.state, { type: 'attempt', at: sentAt }, this.opts.times()));
  }

  /** The store renewed the lease; `sentAt` is when that call was sent (lease-session.ts onRenewed). */
  renewed(sentAt: number): void {
    this.apply(nextFence(this.state, { type: 'renewed', at: sentAt, answeredAt: this.monotonic() }, this.opts.times()));
  }

  start(): void {
    this.timer = setInterval(() => this.apply(nextFence(this.state, { type: 'tick', at: this.monotonic() }, this.opts.times())), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private apply(r: { state: FenceState; action: FenceAction }): void {
    this.state = r.state;
    if (r.action.kind === 'fence') this.opts.onFence(r.action.silentMs, this.opts.times());
    else if (r.action.kind === 'rejoin') this.opts.onRejoin(r.action.fencedForMs);
  }
}
