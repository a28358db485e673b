/**
 * A level-triggered loop over the store, the shape every Paz controller has (Kubernetes' and Nomad's
 * too): a pass reads the current state and acts on it; watches on some prefixes wake it early, a
 * periodic pass catches what a watch missed and what changes only with time (deadlines). Kicks during a
 * pass are coalesced into one more pass; passes never overlap. That further pass waits first: during a
 * burst of writes (a 1000-unit deploy is thousands of writes) a pass that re-reads everything after each
 * one is work that grows with N², and the pause lets a burst collapse into a few passes. The pause is
 * four times as long as the pass before it took, so passes take at most a fifth of the time however long the
 * burst, between SETTLE_MIN_MS and `settleMs`: a fixed 250 ms made every cheap pass (an agent's, a small
 * cluster's) that much late, twice per deploy (placement, then the agent). A kick while idle runs at once.
 */
import { NotLeaderError } from '../store/fenced-store.js';
import type { Logger } from 'pino';
import { performance } from 'node:perf_hooks';
import type { Store, Watch, WatchEvent } from '../store/store.js';
import { Backoff } from '../core/backoff.js';

export interface StoreLoopOptions {
  store: Store;
  /** what this loop is, for its log lines */
  name: string;
  logger: Logger;
  /**
   * key prefixes whose changes trigger a pass; with `relevant`, only events it accepts do (give `prevValues`
   * when it looks at the events' previous values)
   */
  prefixes: Array<string | { prefix: string; relevant: (e: WatchEvent) => boolean; prevValues?: boolean }>;
  intervalMs: number;
  /** longest pause before a pass that kicks during the previous one asked for (default 250 ms) */
  settleMs?: number;
  pass: () => Promise<void>;
}

const DEFAULT_SETTLE_MS = 250;
/** a dead watch is opened again after 100 ms, then after up to 5 s while the store does not answer */
const REFOLLOW_BACKOFF = { initialMs: 100, maxMs: 5_000 };
const SETTLE_MIN_MS = 10;
/** the pause before a further pass, from how long the pass before it took (see the top of this file) */
export function settleAfter(passMs: number, maxMs = DEFAULT_SETTLE_MS): number {
  return Math.min(maxMs, Math.max(SETTLE_MIN_MS, Math.ceil(4 * passMs)));
}

export class StoreLoop {
  /** the loop's current watch of each prefix, by its index in `opts.prefixes` (undefined while one is being opened again) */
  private watches: Array<Watch | undefined> = [];
  private readonly refollowTimers = new Set<NodeJS.Timeout>();
  /** prefixes (by index) whose watch is being opened again: a dead watch may report more than one error */
  private readonly refollowing = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly opts: StoreLoopOptions) {}

  /** Watches, runs a first pass, then keeps going until stop(). */
  async start(): Promise<void> {
    for (let i = 0; i < this.opts.prefixes.length; i++) this.watches[i] = await this.follow(i);
    await this.kick();
    this.timer = setInterval(() => void this.kick(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** Joins the process's watch of prefix number `i`; a watch that dies is followed again (refollow). */
  private follow(i: number): Promise<Watch> {
    const p = this.opts.prefixes[i];
    const { prefix, relevant, prevValues } = typeof p === 'string' ? { prefix: p, relevant: undefined, prevValues: false } : p;
    return sharedWatch(
      this.opts.store,
      prefix,
      (events) => {
        if (!relevant || events.some(relevant)) void this.kick();
      },
      (err) => {
        if (this.refollowing.has(i)) return;
        this.opts.logger.warn({ err, prefix }, `${this.opts.name}: watch failed; opening it again`);
        this.refollowing.add(i);
        this.refollow(i, new Backoff(REFOLLOW_BACKOFF));
      },
      { prevValues },
    );
  }

  /**
   * A watch dies when the store can no longer resume it: history compacted past where it was (a host cut off
   * from etcd longer than its compaction window), or the stream closed for good. The loop used to carry on with
   * its periodic pass alone, every 5 s for a router, for the rest of the process's life. Here it opens a new
   * watch (sharedWatch dropped the dead one), retried with backoff while the store does not answer, and then
   * runs a pass: what changed while no watch was there is only seen by reading.
   */
  private refollow(i: number, backoff: Backoff): void {
    if (this.stopped) return;
    const dead = this.watches[i];
    this.watches[i] = undefined;
    void dead?.cancel().catch(() => undefined);
    const timer = setTimeout(() => {
      this.refollowTimers.delete(timer);
      if (this.stopped) return;
      this.follow(i).then(
        (watch) => {
          this.refollowing.delete(i);
          if (this.stopped) return void watch.cancel().catch(() => undefined);
          this.watches[i] = watch;
          void this.kick();
        },
        () => this.refollow(i, backoff),
      );
    }, backoff.next());
    this.refollowTimers.add(timer);
  }

  /** Runs a pass now, or once more after the current one; resolves when no pass is pending. */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let lastPassMs: number | undefined;
      do {
        if (lastPassMs !== undefined) await new Promise((r) => setTimeout(r, settleAfter(lastPassMs!, this.opts.settleMs)));
        this.again = false;
        const began = performance.now();
        try {
          await this.opts.pass();
          lastPassMs = performance.now() - began;
        } catch (err) {
          // a leader's last pass, begun before it lost the lead (a long pause), refused by the fence: a normal step-down
          if (err instanceof NotLeaderError) this.opts.logger.info({ err }, `${this.opts.name}: pass ended: this server no longer leads, its writes were refused`);
          else this.opts.logger.error({ err }, `${this.opts.name}: pass failed`);
          // a pass that fails at once (store unreachable) is not tried again every few ms
          lastPassMs = Infinity;
        }
      } while (this.again && !this.stopped);
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const t of this.refollowTimers) clearTimeout(t);
    this.refollowTimers.clear();
    await Promise.all(this.watches.map((w) => w?.cancel()));
    await this.running;
  }
}

/**
 * One store watch per prefix, shared by every loop of the process that watches it (in `paz up` four loops
 * watch the desired units). Loops only need to hear that something changed, and each watch of its own
 * decoded every event in full: a deploy's 1000 units arrived four times over, in one event-loop turn.
 * Readers that follow the events themselves (host-units-view.ts) share the same watches: a listener
 * hears every event from the moment sharedWatch resolves.
 */
interface SharedWatch {
  watch: Promise<Watch>;
  listeners: Set<(events: WatchEvent[]) => void>;
  onErrors: Set<(err: Error) => void>;
}

const sharedWatches = new WeakMap<Store, Map<string, SharedWatch>>();

/**
 * Listens to the process's one live watch of `prefix` on `store` (opened on first use); cancel() leaves it.
 * Listeners that need previous values share a watch that carries them; the others share one without.
 */
export async function sharedWatch(
  store: Store,
  prefix: string,
  listener: (events: WatchEvent[]) => void,
  onError: (err: Error) => void,
  opts: { prevValues?: boolean } = {},
): Promise<Watch> {
  let byPrefix = sharedWatches.get(store);
  if (!byPrefix) sharedWatches.set(store, (byPrefix = new Map()));
  const prevValues = opts.prevValues === true;
  // its own slot, apart from the plain watch of the prefix (keys are printable, so no prefix ends in NUL)
  const slot = prevValues ? `${prefix}\u0000prev` : prefix;
  let shared = byPrefix.get(slot);
  if (!shared) {
    const listeners = new Set<(events: WatchEvent[]) => void>();
    const onErrors = new Set<(err: Error) => void>();
    const watch = store.watch(prefix, (events) => {
      for (const l of listeners) l(events);
    }, {
      prevValues,
      onError: (err) => {
        // a dead watch is dropped, so the next loop to start opens a new one
        if (byPrefix!.get(slot) === entry) byPrefix!.delete(slot);
        for (const e of onErrors) e(err);
      },
    });
    const entry: SharedWatch = { watch, listeners, onErrors };
    shared = entry;
    byPrefix.set(slot, entry);
    watch.catch(() => {
      if (byPrefix!.get(slot) === entry) byPrefix!.delete(slot);
    });
  }
  const entry = shared;
  // joined before waiting, so a loop that stops meanwhile never cancels the watch under this one
  entry.listeners.add(listener);
  entry.onErrors.add(onError);
  try {
    await entry.watch;
  } catch (err) {
    entry.listeners.delete(listener);
    entry.onErrors.delete(onError);
    throw err;
  }
  return {
    cancel: async () => {
      entry.listeners.delete(listener);
      entry.onErrors.delete(onError);
      if (entry.listeners.size > 0) return;
      if (byPrefix!.get(slot) === entry) byPrefix!.delete(slot);
      await (await entry.watch).cancel();
    },
  };
}
