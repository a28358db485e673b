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
 *
 * Its watch covers the whole store, not only `/paz/`: on an etcd shared with other software, the store's
 * revision also counts their writes, which a watch of `/paz/` never sees, so a read waited its whole
 * `waitMs` for a revision the mirror could not reach, then read the store. Seeing every revision on the
 * one ordered stream, the mirror moves past theirs (keeping only its prefix's keys). etcd's own way to say
 * "this watch is at revision R" (WatchProgressRequest) answers out of order with the watch's events on
 * etcd before 3.4.31 / 3.5.13 (etcd issues 15220 and 17507; Debian's is 3.4.23), so it is not used. When
 * the whole store may not be watched (etcd auth limited to Paz's keys), the watch covers `/paz/` alone,
 * as before.
 */
import type { Logger } from 'pino';
import { StoreCompactedError, type Store, type Watch, type WatchEvent } from '../store/store.js';
import { MirrorState, type MirrorView } from '../store/mirror-state.js';
import { RevisionFence } from './revision-fence.js';

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
  private lastWatchError: Error | undefined;
  private readonly fence: RevisionFence;
  private readonly prefix: string;
  /** set once a watch of the whole store was refused: watch the prefix alone */
  private prefixOnly = false;
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
      const startWatch = (prefix: string) => this.store.watch(prefix, (events) => this.onEvents(state, events), {
        fromRevision: loaded.revision + 1,
        onError: (err) => {
          failed = true;
          this.onWatchError(state, err);
        },
      });
      let watch: Watch | undefined;
      if (!this.prefixOnly) {
        let refused = false;
        try {
          watch = await startWatch('');
        } catch (err) {
          if (!isPermissionDenied(err)) throw err;
          refused = true;
        }
        // etcd refuses a watch it may not serve by canceling it as it starts
        if (failed && isPermissionDenied(this.lastWatchError)) refused = true;
        if (refused) {
          await watch?.cancel();
          watch = undefined;
          failed = false;
          this.prefixOnly = true;
          this.opts.logger?.warn({ prefix: this.prefix }, 'store mirror: the store refused a watch of all its keys; watching the prefix alone (reads on a store shared with other writers may then wait for the store)');
        }
      }
      watch ??= await startWatch(this.prefix);
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
    // one revision's events; those outside the prefix only move the revision on
    const mine = events.filter((e) => e.key.startsWith(this.prefix));
    if (mine.length > 0) state.apply(mine);
    else if (events.length > 0) state.advanceTo(events[0].revision);
    if (this.state === state) this.wake();
  }

  private onWatchError(state: MirrorState, err: Error): void {
    this.lastWatchError = err;
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

/** etcd's answer to a watch or read of keys the user may not read (auth limited to some prefixes) */
function isPermissionDenied(err: unknown): boolean {
  return /permission denied/i.test(err instanceof Error ? err.message : String(err));
}
