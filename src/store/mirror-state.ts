/**
 * An in-memory copy of a part of the store, kept at one revision: loaded from a rangeMany, then moved
 * forward by the watch events after it. The API answers GETs from it (state/store-mirror.ts) instead of
 * reading and parsing the store for every request.
 *
 * Views are immutable: a view taken at revision R keeps answering R while the state moves on, so an
 * answer assembled from many reads over several awaits is still the store at one revision. That costs a
 * copy, but only of what changes after a view was taken, and only once: keys live in buckets (a key's
 * bucket is its path up to the 4th '/', e.g. `/paz/units/status/`, or up to its last '/' when shorter),
 * and the first batch after a view copies the buckets it touches; later batches write to those copies in
 * place until the next view is taken. A status update thus copies the status bucket, not the store.
 *
 * Each bucket remembers the revision of its last change, so a reader can tell whether anything under
 * some prefixes changed since it last computed an answer from them (`changedAt`), and reuse the answer.
 */
import type { KeyValue, MultiRangeResult, WatchEvent } from './store.js';

/** The bucket a key belongs to (see above). */
export function bucketOf(key: string): string {
  let slashes = 0;
  let last = -1;
  for (let i = 0; i < key.length; i++) {
    if (key.charCodeAt(i) !== 47 /* '/' */) continue;
    last = i;
    if (++slashes === 4) return key.slice(0, i + 1);
  }
  return key.slice(0, last + 1);
}

/** whether the keys of `bucket` and those starting with `prefix` can overlap */
function overlaps(bucket: string, prefix: string): boolean {
  return bucket.startsWith(prefix) || prefix.startsWith(bucket);
}

const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

class Bucket {
  /** the keys in code-point order, made when first needed; never changed in place (replaced) */
  sorted: string[] | undefined;
  constructor(
    readonly kvs: Map<string, KeyValue>,
    sorted: string[] | undefined,
    /** the revision of the last put or delete in it */
    public changedAt: number,
    /** the epoch of the state that may write to it in place */
    readonly epoch: number,
  ) {
    this.sorted = sorted;
  }

  keys(): string[] {
    return (this.sorted ??= [...this.kvs.keys()].sort(byKey));
  }
}

/** What a part of the store held at one revision; never changes. */
export class MirrorView {
  constructor(
    private readonly buckets: ReadonlyMap<string, Bucket>,
    /** the revision this view is the store at */
    readonly revision: number,
    /** changes at or before it are not tracked per bucket (the load, or a bucket table reset) */
    private readonly baseRevision: number,
  ) {}

  get(key: string): KeyValue | undefined {
    return this.buckets.get(bucketOf(key))?.kvs.get(key);
  }

  /** the keys starting with `prefix`, in code-point order (as the backends keep them) */
  range(prefix: string): KeyValue[] {
    const out: KeyValue[] = [];
    let buckets = 0;
    for (const [name, bucket] of this.buckets) {
      if (!overlaps(name, prefix)) continue;
      buckets++;
      const keys = bucket.keys();
      // binary search for the first key >= prefix
      let lo = 0;
      let hi = keys.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (keys[mid] < prefix) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < keys.length && keys[i].startsWith(prefix); i++) out.push(bucket.kvs.get(keys[i])!);
    }
    if (buckets > 1) out.sort((a, b) => byKey(a.key, b.key));
    return out;
  }

  /** The revision of the last change to any key under these prefixes (a lower bound when untracked: see baseRevision). */
  changedAt(prefixes: readonly string[]): number {
    let at = this.baseRevision;
    for (const [name, bucket] of this.buckets) {
      if (bucket.changedAt > at && prefixes.some((p) => overlaps(name, p))) at = bucket.changedAt;
    }
    return at;
  }
}

/** Buckets beyond this many (names of deleted services' buckets linger) are dropped and rebuilt. */
const MAX_EMPTY_BUCKETS = 1_000;

export class MirrorState {
  private buckets = new Map<string, Bucket>();
  private epoch = 0;
  /** whether a view of the current buckets was handed out (the next change must copy what it touches) */
  private pinned = false;
  private at: number;
  private base: number;
  private emptyBuckets = 0;

  constructor(loaded: MultiRangeResult) {
    this.at = loaded.revision;
    this.base = loaded.revision;
    for (const range of loaded.ranges) {
      for (const kv of range) this.writable(bucketOf(kv.key), loaded.revision).kvs.set(kv.key, kv);
    }
    for (const bucket of this.buckets.values()) bucket.changedAt = this.base;
  }

  /** the revision the state is at: every event up to it is applied */
  get revision(): number {
    return this.at;
  }

  view(): MirrorView {
    this.pinned = true;
    return new MirrorView(this.buckets, this.at, this.base);
  }

  /** Applies the events of one revision (a watch delivers them together). Events at or below the state's revision are ignored. */
  apply(events: readonly WatchEvent[]): void {
    if (events.length === 0) return;
    const revision = events[0].revision;
    if (revision <= this.at) return;
    if (this.pinned) {
      this.buckets = new Map(this.buckets);
      this.epoch++;
      this.pinned = false;
    }
    for (const e of events) {
      const name = bucketOf(e.key);
      if (e.type === 'put') {
        const bucket = this.writable(name, revision);
        const before = bucket.kvs.get(e.key);
        bucket.kvs.set(e.key, {
          key: e.key,
          value: e.value,
          createRevision: before?.createRevision ?? revision,
          modRevision: revision,
          version: (before?.version ?? 0) + 1,
          // watch events do not carry it; nothing a read answers shows it
          lease: before?.lease ?? 0,
        });
        if (!before) bucket.sorted = undefined;
        bucket.changedAt = revision;
      } else if (this.buckets.get(name)?.kvs.has(e.key)) {
        const bucket = this.writable(name, revision);
        bucket.kvs.delete(e.key);
        bucket.sorted = undefined;
        bucket.changedAt = revision;
        if (bucket.kvs.size === 0) this.emptyBuckets++;
      }
    }
    this.at = revision;
    if (this.emptyBuckets > MAX_EMPTY_BUCKETS) this.dropEmptyBuckets();
  }

  /**
   * Moves the state to `revision` with no change to its keys: a revision whose writes were all outside the
   * mirrored part of the store (another program's keys on a shared etcd), seen on the same ordered watch.
   * Views taken before keep their own revision.
   */
  advanceTo(revision: number): void {
    if (revision > this.at) this.at = revision;
  }

  /** the bucket, safe to change in place: a copy when a view may hold it */
  private writable(name: string, revision: number): Bucket {
    const bucket = this.buckets.get(name);
    if (bucket?.epoch === this.epoch) return bucket;
    const copy = bucket ? new Bucket(new Map(bucket.kvs), bucket.sorted, bucket.changedAt, this.epoch) : new Bucket(new Map(), undefined, revision, this.epoch);
    this.buckets.set(name, copy);
    return copy;
  }

  /** Forgets empty buckets; their last changes are then untracked, so every change time is raised to now. */
  private dropEmptyBuckets(): void {
    const kept = new Map<string, Bucket>();
    for (const [name, bucket] of this.buckets) if (bucket.kvs.size > 0) kept.set(name, bucket);
    this.buckets = kept;
    this.base = this.at;
    this.emptyBuckets = 0;
  }
}
