/**
 * Every key under a prefix, parsed, kept from one read and the process's shared watch from that read's
 * revision (Kubernetes' informer: list, then watch). The control plane's loops read every desired unit and
 * every status of the cluster on each pass, several passes a second during a deploy: with 10,000 units that
 * was 20,000 keys read and parsed per pass of the rollout controller alone, most of etcd's work in the
 * scheduling bench. A pass now costs what changed since the last one.
 *
 * Each key keeps the revision it was last changed at, and a change older than what the view holds is
 * ignored, so a read of part of the prefix (`reread`) can be merged with events that arrive after it. A watch
 * that dies (compacted, closed) marks the view stale: the next `entries()` reads everything again.
 */
import type { Store, TxnOp, Watch, WatchEvent } from '../store/store.js';
import { parseJsonValue } from '../store/json.js';
import { sharedWatch } from './store-loop.js';

export interface ViewEntry<T> {
  key: string;
  value: T;
  /** the revision the key was last written at (for a compare-and-swap on modRevision) */
  modRevision: number;
}

export interface PrefixViewOptions<T> {
  store: Store;
  prefix: string;
  /** default: JSON */
  parse?: (key: string, raw: string) => T;
  /** a value that could not be parsed (the key is left out), or a watch that died (the view reads again) */
  onError?: (err: Error) => void;
  /** share the process's watch that carries previous values (another reader of the prefix needs them) */
  prevValues?: boolean;
}

export class PrefixView<T> {
  private readonly map = new Map<string, ViewEntry<T>>();
  /**
   * keys deleted while a reread was under way, or by the caller's own txn (wrote()), with the revision: a put
   * older than the delete (from that read, merged late, or an event the watch had not delivered yet) is
   * ignored. Kept until no reread is under way and the watch has passed the newest of them: a delete the
   * watch itself brings needs none, since every event after it is newer.
   */
  private readonly tombstones = new Map<string, number>();
  private tombstonesUpTo = 0;
  private rereads = 0;
  /** how many full reads the view made: a reader that derives state from it knows when to start over */
  reads = 0;
  /** the store revision of the last full read: the view holds every key as of then (and what came since) */
  readRevision = 0;
  /** the newest revision the view has caught up with (its read's, or its latest event's) */
  private seen = 0;
  private watch: Watch | undefined;
  private stale = true;
  private syncing: Promise<void> | undefined;
  private stopped = false;
  /** bumped at each full read: events of an older read's watch are dropped */
  private generation = 0;
  private readonly parse: (key: string, raw: string) => T;
  /** called after events were applied, with them (watchers that derive state from changes) */
  private readonly listeners = new Set<(events: WatchEvent[]) => void>();

  constructor(private readonly opts: PrefixViewOptions<T>) {
    this.parse = opts.parse ?? ((key, raw) => parseJsonValue<T>(key, raw));
  }

  /** The entries as of the last event seen; reads everything first when the view is new or stale. */
  async entries(): Promise<ReadonlyMap<string, ViewEntry<T>>> {
    while (this.stale && !this.stopped) {
      this.syncing ??= this.sync().finally(() => (this.syncing = undefined));
      await this.syncing;
    }
    return this.map;
  }

  /**
   * Takes in a txn of the caller's that the store committed at `revision`: its puts and deletes under this
   * prefix are the view's at once, as the watch will bring them a moment later (and then they are old news).
   * A loop that looked at the view before its own last writes came back acted on what it had just changed,
   * and each of those writes failed its compare-and-swap. It used to wait for the watch to catch up, up to
   * 2 s per pass when etcd was busy delivering a big deploy; what it wrote itself it need not hear back.
   */
  wrote(ops: readonly TxnOp[], revision: number): void {
    if (this.stale || this.stopped) return;
    for (const op of ops) {
      if (op.type === 'put' && op.key.startsWith(this.opts.prefix)) this.putAt(op.key, op.value, revision);
      else if (op.type === 'delete' && op.key.startsWith(this.opts.prefix)) this.deleteAt(op.key, revision, true);
      else if (op.type === 'deletePrefix') {
        for (const key of [...this.map.keys()]) if (key.startsWith(op.prefix)) this.deleteAt(key, revision, true);
      }
    }
  }

  /**
   * Resolves with the next events the view applies, or with none after `ms`: for a reader that knows more are
   * on their way.
   */
  nextEvents(ms: number): Promise<WatchEvent[]> {
    return new Promise((resolve) => {
      const done = (events: WatchEvent[] = []) => {
        clearTimeout(timer);
        this.listeners.delete(done);
        resolve(events);
      };
      const timer = setTimeout(done, ms);
      this.listeners.add(done);
    });
  }

  /** Hears each batch of events once the view applied it. */
  onEvents(listener: (events: WatchEvent[]) => void): void {
    this.listeners.add(listener);
  }

  /**
   * Reads the keys under `subPrefix` again and merges them: what the read shows replaces what is older, and
   * keys the read no longer shows are dropped unless changed after it. For a reader that must be sure it has
   * every key written before some event of another prefix (the units of a version its commit names).
   */
  async reread(subPrefix: string): Promise<void> {
    await this.entries();
    const generation = this.generation;
    this.rereads++;
    try {
      const { kvs, revision } = await this.opts.store.range(subPrefix);
      if (generation !== this.generation || this.stale) return;
      const seen = new Set<string>();
      for (const kv of kvs) {
        seen.add(kv.key);
        this.putAt(kv.key, kv.value, kv.modRevision);
      }
      for (const [key, e] of this.map) if (key.startsWith(subPrefix) && !seen.has(key) && e.modRevision <= revision) this.deleteAt(key, revision);
    } finally {
      this.rereads--;
      this.pruneTombstones();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    const w = this.watch;
    this.watch = undefined;
    await w?.cancel().catch(() => undefined);
  }

  private async sync(): Promise<void> {
    const old = this.watch;
    this.watch = undefined;
    await old?.cancel().catch(() => undefined);
    const generation = ++this.generation;
    // the shared watch is joined BEFORE the read: what it delivers meanwhile waits, and only what is newer
    // than the read is applied afterwards
    let readAt: number | undefined;
    const early: WatchEvent[][] = [];
    const onEvents = (events: WatchEvent[]) => {
      if (generation !== this.generation) return;
      if (readAt === undefined) early.push(events);
      else this.apply(events.filter((e) => e.revision > readAt!));
    };
    // a watch that dies before the read is over leaves the view stale: the read's end must not mark it fresh,
    // or the view keeps a dead watch for good (see host-units-view.ts)
    let died = false;
    const onError = (err: Error) => {
      if (generation !== this.generation) return;
      died = true;
      this.stale = true;
      this.opts.onError?.(err);
    };
    const watch = await sharedWatch(this.opts.store, this.opts.prefix, onEvents, onError, { prevValues: this.opts.prevValues });
    try {
      const { kvs, revision } = await this.opts.store.range(this.opts.prefix);
      if (generation !== this.generation) throw new Error('stopped');
      this.map.clear();
      this.tombstones.clear();
      for (const kv of kvs) this.putAt(kv.key, kv.value, kv.modRevision);
      readAt = revision;
      this.readRevision = revision;
      this.reads++;
      this.caughtUpTo(revision);
    } catch (err) {
      await watch.cancel().catch(() => undefined);
      if (generation !== this.generation) return;
      throw err;
    }
    this.watch = watch;
    this.stale = died;
    for (const events of early) this.apply(events.filter((e) => e.revision > readAt!));
  }

  private apply(events: WatchEvent[]): void {
    if (events.length === 0) return;
    for (const e of events) {
      if (e.type === 'delete') this.deleteAt(e.key, e.revision);
      else this.putAt(e.key, e.value, e.revision);
    }
    for (const l of this.listeners) l(events);
    this.caughtUpTo(events[events.length - 1].revision);
  }

  private caughtUpTo(revision: number): void {
    if (revision <= this.seen) return;
    this.seen = revision;
    this.pruneTombstones();
  }

  private pruneTombstones(): void {
    if (this.rereads === 0 && this.tombstones.size > 0 && this.seen >= this.tombstonesUpTo) this.tombstones.clear();
  }

  private putAt(key: string, raw: string, revision: number): void {
    const current = this.map.get(key)?.modRevision ?? this.tombstones.get(key) ?? 0;
    if (revision <= current) return;
    this.tombstones.delete(key);
    let value: T;
    try {
      value = this.parse(key, raw);
    } catch (err) {
      this.map.delete(key);
      this.opts.onError?.(err as Error);
      return;
    }
    this.map.set(key, { key, value, modRevision: revision });
  }

  private deleteAt(key: string, revision: number, ownWrite = false): void {
    const current = this.map.get(key)?.modRevision ?? this.tombstones.get(key) ?? 0;
    if (revision <= current) return;
    this.map.delete(key);
    if (ownWrite || this.rereads > 0) {
      this.tombstones.set(key, revision);
      this.tombstonesUpTo = Math.max(this.tombstonesUpTo, revision);
    }
  }
}
