/**
 * Load, then follow: when a followed resource loads again. Its answer was read at a store revision
 * (x-paz-revision); an event at or before that revision is already in it and changes nothing, an event
 * after it means the answer is stale. Events that arrive while a load runs are remembered (the newest of
 * them) and decide, once the answer is in, whether one more load is needed: never one per event, and
 * never a load for an event the answer already holds. Pure: live.tsx keeps the state and does the I/O.
 */

export interface Follow {
  /** the revision the shown answer was read at; undefined: unknown (every event counts as newer) */
  readAt?: number;
  loading: boolean;
  /**
   * while loading: the newest relevant event seen meanwhile (its revision, or null when it had none, or a
   * reload was asked for); undefined when none came
   */
  waiting?: number | null;
}

export interface Decision {
  next: Follow;
  /** start a load now */
  load: boolean;
}

/** Nothing read yet: the first load starts at once (reload). */
export const notLoaded: Follow = { loading: false };

/** Whether an event at `revision` (undefined: unknown) is newer than an answer read at `readAt`. */
export function isNewer(revision: number | undefined, readAt: number | undefined): boolean {
  return readAt === undefined || revision === undefined || revision > readAt;
}

const newest = (a: number | null | undefined, b: number | null): number | null => (a === undefined ? b : a === null || b === null ? null : Math.max(a, b));

/** A relevant event arrived (its id: the store revision it was written at). */
export function onEvent(s: Follow, revision: number | undefined): Decision {
  if (!isNewer(revision, s.readAt)) return { next: s, load: false };
  if (s.loading) return { next: { ...s, waiting: newest(s.waiting, revision ?? null) }, load: false };
  return { next: { readAt: s.readAt, loading: true }, load: true };
}

/** Load again whatever the revisions say (first load, "try again", a timer, a resync after a gap). */
export function onReload(s: Follow): Decision {
  if (s.loading) return { next: { ...s, waiting: null }, load: false };
  return { next: { readAt: s.readAt, loading: true }, load: true };
}

/** The answer is in, read at `revision`: load once more only if an event newer than it came meanwhile. */
export function onLoaded(s: Follow, revision: number | undefined): Decision {
  const again = s.waiting !== undefined && (s.waiting === null || isNewer(s.waiting, revision));
  return { next: { readAt: revision, loading: again }, load: again };
}

/** The load failed: the shown answer (and its revision) stays; anything that came meanwhile loads again. */
export function onFailed(s: Follow): Decision {
  const again = s.waiting !== undefined;
  return { next: { readAt: s.readAt, loading: again }, load: again };
}

/**
 * The revision an answer assembled from several reads holds everything up to: the oldest of them (an
 * event after it may be missing from that part). Unknown if any is.
 */
export function oldestRevision(...revisions: Array<number | undefined>): number | undefined {
  if (revisions.length === 0 || revisions.some((r) => r === undefined)) return undefined;
  return Math.min(...(revisions as number[]));
}
