/**
 * The store as the API reads it, in memory: `/paz/` loaded once with rangeMany, then kept current by a
 * watch from the revision after the load (store/mirror-state.ts holds it). A GET then costs no store
 * read and no parse of the whole store: api/read-at.ts runs the read models on a view of the mirror.
 *
 * What a read sees (the guarantee is the one direct store reads gave):
 * - every answer is the store at one revision, the one it names in `x-paz-revision`;
 * - a read sees every write that finished before it began, made by any process or server replica on the
 *   same store: a read first asks the store for its current revision (one cheap call; concurrent reads
 *   share it) and waits until the mirror has applied it. So a client that wrote (through this server or
 *   another, or straight into the store) and then reads, reads its write. A watch delivers within
 *   milliseconds; when the mirror cannot catch up within `waitMs` (store unreachable, watch broken and
 *   reloading), the read goes to the store itself, as before.
 * The mirror starts with the first read (a process that serves no GET pays nothing), and loads again
 * when its watch fails (compacted history, a store that went away).
 */
import type { Logger } from 'pino';
import { StoreCompactedError, type Store, type Watch, type WatchEvent } from '../store/store.js';
import { MirrorState, type MirrorView } from '../store/mirror-state.js';

export interface StoreMirrorOptions {
  /** what to mirror (default `/paz/`, everything Paz keeps) */
  prefix?: string;
  /** how long a read waits for the mirror to reach the store's revision before reading the store (default 500 ms) */
  waitMs?: number;
  /** how long after a failed load the next read tries again (default 1 s; reads go to the store meanwhile) */
  retryMs?: number;
  logger?: Pick<Logger, 'warn'>;
}

interface Waiter {
  revision: number;
  done: (reached: boolean) => void;
}

export class StoreMirror {
  private state: MirrorState | undefined;
  private watch: Watch | undefined;
  private starting: Promise<void> | undefined;
  private retryAt = 0;
  private readonly waiters = new Set<Waiter>();
  private readonly fence: RevisionFence;
  private readonly prefix: string;
  private readonly waitMs: number;
  private readonly retryMs: number;

  constructor(
    private readonly store: Store,
    private readonly opts: StoreMirrorOptions = {},
  ) {
    this.prefix = opts.prefix ?? '/paz/';
    this.waitMs = opts.waitMs ?? 500;
    this.retryMs = opts.retryMs ?? 1_000;
    this.fence = new RevisionFence(store);
  }

  /** the revision the mirror is at (undefined before it has loaded) */
  get revision(): number | undefined {
    return this.state?.revision;
  }

  /**
   * A view with every write that finished before this call, or undefined when the mirror cannot give one
   * within `waitMs` (the caller then reads the store). Rejects when the store cannot say its revision.
   */
  async view(): Promise<MirrorView | undefined> {
    const target = await this.fence.latest();
    if (!this.state) await this.start().catch(() => undefined);
    if (!this.state) return undefined;
    if (this.state.revision >= target || (await this.reached(target))) return this.state?.view();
    return undefined;
  }

  /** Stops the watch; the next read starts the mirror again. */
  async stop(): Promise<void> {
    const watch = this.watch;
    this.state = undefined;
    this.watch = undefined;
    for (const w of this.waiters) w.done(false);
    this.waiters.clear();
    await watch?.cancel();
  }

  private start(): Promise<void> {
    if (Date.now() < this.retryAt) return Promise.reject(new Error('the store mirror failed to load a moment ago'));
    this.starting ??= this.load().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async load(): Promise<void> {
    let failed = false;
    try {
      const loaded = await this.store.rangeMany([this.prefix]);
      const state = new MirrorState(loaded);
      const watch = await this.store.watch(this.prefix, (events) => this.onEvents(state, events), {
        fromRevision: loaded.revision + 1,
        onError: (err) => {
          failed = true;
          this.onWatchError(state, err);
        },
      });
      if (failed) throw new Error('the store mirror\'s watch failed as it started');
      this.state = state;
      this.watch = watch;
      this.wake();
    } catch (err) {
      this.retryAt = Date.now() + this.retryMs;
      this.opts.logger?.warn({ err }, 'store mirror: load failed; reads go to the store meanwhile');
      throw err;
    }
  }

  private onEvents(state: MirrorState, events: WatchEvent[]): void {
    state.apply(events);
    if (this.state === state) this.wake();
  }

  private onWatchError(state: MirrorState, err: Error): void {
    if (this.state !== state) return;
    this.state = undefined;
    this.watch = undefined;
    for (const w of this.waiters) w.done(false);
    this.waiters.clear();
    // compacted history: load again at once (the next read would anyway); anything else waits for a read
    if (err instanceof StoreCompactedError) void this.start().catch(() => undefined);
    else this.opts.logger?.warn({ err }, 'store mirror: watch failed; the next read loads the mirror again');
  }

  /** resolves true once the mirror is at `revision`, false after waitMs or when it stops */
  private reached(revision: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => waiter.done(false), this.waitMs);
      const waiter: Waiter = {
        revision,
        done: (ok) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(ok);
        },
      };
      this.waiters.add(waiter);
    });
  }

  private wake(): void {
    const at = this.state?.revision ?? 0;
    for (const w of this.waiters) if (w.revision <= at) w.done(true);
  }
}

/**
 * The store's current revision for many concurrent readers at the price of few calls: a caller gets the
 * answer of a call that began after it asked (an answer begun earlier could miss a write that finished
 * just before), and every caller who asks while a call is out shares the next one (as etcd's ReadIndex
 * batches linearizable reads).
 */
export class RevisionFence {
  private running: Promise<number> | undefined;
  private queued: Promise<number> | undefined;

  constructor(private readonly store: Pick<Store, 'revision'>) {}

  latest(): Promise<number> {
    if (!this.running) return this.call();
    this.queued ??= this.running.then(
      () => this.afterRunning(),
      () => this.afterRunning(),
    );
    return this.queued;
  }

  private afterRunning(): Promise<number> {
    this.queued = undefined;
    return this.call();
  }

  private call(): Promise<number> {
    const call = this.store.revision();
    this.running = call;
    const clear = () => {
      if (this.running === call) this.running = undefined;
    };
    call.then(clear, clear);
    return call;
  }
}
