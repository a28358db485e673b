/**
 * Delivers the revision log to watchers. Each watcher keeps a cursor (the next revision it needs) and
 * every delivery pass reads the log from the cursor in one snapshot; replay and live delivery are the
 * same code path reading the same table, so there is no window between them where an event could be
 * missed or seen twice, and writes of other processes arrive exactly like our own.
 *
 * A pass is triggered right after one of our writes (setImmediate) and by the store's poller when the
 * revision in the file has moved (a write by another process). Passes never overlap: listeners run
 * after the snapshot is read, and a write made from a listener only schedules another pass.
 */
import { StoreCompactedError, type WatchEvent } from '../store.js';
import type { LogRow, Meta } from './kv-database.js';
import { prefixBounds, type KeyBounds } from './prefix-range.js';

export interface LogReader {
  /** runs fn on one consistent snapshot of the database */
  snapshot<T>(fn: () => T): T;
  meta(): Meta;
  events(from: number, to: number, bounds: KeyBounds): LogRow[];
}

interface Watcher {
  prefix: string;
  bounds: KeyBounds;
  next: number;
  listener: (events: WatchEvent[]) => void;
  onError: ((err: Error) => void) | undefined;
  /** whether events carry prevValue (WatchOptions.prevValues) */
  prevValues: boolean;
  active: boolean;
}

const ALL_KEYS = prefixBounds('');

type Pending = { watcher: Watcher; rows: LogRow[] } | { watcher: Watcher; compacted: number };

export class WatchFanout {
  private readonly watchers = new Set<Watcher>();
  private scheduled = false;
  private stopped = false;
  /** the store revision seen by the last pass; the poller compares against it */
  private seenRevision = 0;

  constructor(
    private readonly log: LogReader,
    /** where a failed pass goes (e.g. a database error); cursors are untouched, so the next pass retries */
    private readonly onPassError: (err: unknown) => void,
  ) {}

  get size(): number {
    return this.watchers.size;
  }

  get lastSeenRevision(): number {
    return this.seenRevision;
  }

  /** The oldest revision a watcher of this process still needs, if any. */
  oldestCursor(): number | undefined {
    let oldest: number | undefined;
    for (const watcher of this.watchers) oldest = Math.min(oldest ?? watcher.next, watcher.next);
    return oldest;
  }

  add(
    prefix: string,
    fromRevision: number,
    listener: (events: WatchEvent[]) => void,
    onError: ((err: Error) => void) | undefined,
    prevValues = false,
  ): { cancel(): void } {
    const watcher: Watcher = { prefix, bounds: prefixBounds(prefix), next: fromRevision, listener, onError, prevValues, active: true };
    this.watchers.add(watcher);
    this.schedule();
    return { cancel: () => this.remove(watcher) };
  }

  /** Fails a watch before it is registered (e.g. its start is already compacted). */
  failLater(onError: ((err: Error) => void) | undefined, err: Error): void {
    setImmediate(() => report(onError, err));
  }

  /** Asks for a delivery pass soon (after the current call stack, without starving I/O). */
  schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      try {
        this.deliver();
      } catch (err) {
        this.onPassError(err);
      }
    });
  }

  stop(): void {
    this.stopped = true;
    for (const watcher of this.watchers) watcher.active = false;
    this.watchers.clear();
  }

  /** One delivery pass: read every watcher's missing events in one snapshot, then call listeners. */
  deliver(): void {
    if (this.stopped || this.watchers.size === 0) return;
    const { revision, pending } = this.log.snapshot(() => {
      const meta = this.log.meta();
      const pending: Pending[] = [];
      const due: Watcher[] = [];
      for (const watcher of this.watchers) {
        if (watcher.next > meta.revision) continue;
        if (watcher.next <= meta.compacted) pending.push({ watcher, compacted: meta.compacted });
        else due.push(watcher);
      }
      if (due.length === 1) pending.push({ watcher: due[0], rows: this.log.events(due[0].next, meta.revision, due[0].bounds) });
      else if (due.length > 1) {
        // one read for every watcher: the log's index is by revision, so each watcher's own query scanned every
        // row of its revisions anyway, and copied out again the values several watchers share (a process
        // watches desired units from half a dozen places: a 10,000-unit deploy was read that many times)
        const rows = this.log.events(Math.min(...due.map((w) => w.next)), meta.revision, ALL_KEYS);
        for (const watcher of due) pending.push({ watcher, rows: rows.filter((r) => r.revision >= watcher.next && r.key.startsWith(watcher.prefix)) });
      }
      return { revision: meta.revision, pending };
    });
    this.seenRevision = Math.max(this.seenRevision, revision);

    for (const item of pending) {
      const { watcher } = item;
      if (!watcher.active) continue;
      if ('compacted' in item) {
        this.fail(watcher, new StoreCompactedError(watcher.next, item.compacted));
        continue;
      }
      for (const group of groupByRevision(item.rows, watcher.prevValues)) {
        if (!watcher.active) break;
        watcher.next = group[0].revision + 1;
        try {
          watcher.listener(group);
        } catch (err) {
          this.fail(watcher, err instanceof Error ? err : new Error(String(err)));
        }
      }
      // revisions without events under this prefix are passed over too
      if (watcher.active) watcher.next = Math.max(watcher.next, revision + 1);
    }
  }

  private remove(watcher: Watcher): void {
    watcher.active = false;
    this.watchers.delete(watcher);
  }

  /** Ends a watch that cannot go on: its events could no longer be complete. */
  private fail(watcher: Watcher, err: Error): void {
    this.remove(watcher);
    report(watcher.onError, err);
  }
}

/**
 * A watch error nobody listens for must not vanish (the watcher would silently stop seeing changes),
 * so without onError it is thrown as an uncaught exception.
 */
function report(onError: ((err: Error) => void) | undefined, err: Error): void {
  try {
    if (onError === undefined) throw err;
    onError(err);
  } catch (thrown) {
    process.nextTick(() => {
      throw thrown;
    });
  }
}

function groupByRevision(rows: LogRow[], prevValues: boolean): WatchEvent[][] {
  const groups: WatchEvent[][] = [];
  let current: WatchEvent[] = [];
  for (const row of rows) {
    if (current.length > 0 && current[0].revision !== row.revision) {
      groups.push(current);
      current = [];
    }
    current.push(toEvent(row, prevValues));
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

function toEvent(row: LogRow, prevValues: boolean): WatchEvent {
  const event: WatchEvent = { type: row.type, key: row.key, value: row.value, revision: row.revision };
  // the same contract as etcd, where previous values cost a read each: only for watches that ask
  if (prevValues && row.prev_value !== null) event.prevValue = row.prev_value;
  return event;
}
