/**
 * The bookkeeping of one resumable etcd watch, kept pure: it reads each WatchResponse and says what to
 * deliver, and it knows the revision to resume from when the gRPC stream has to be opened again.
 *
 * Why it is safe to resume from `next` and drop anything below it:
 * - etcd never splits one revision over two responses (its watch batches end at revision boundaries,
 *   and this watch does not ask for fragments), so a revision is delivered whole or not at all;
 * - `next` only moves past a revision once that revision was handed out (or, for progress
 *   notifications, see below), so a new stream from `next` repeats nothing delivered and loses nothing.
 *
 * The etcd3 package's own watcher resumes from the response header's revision + 1 instead; during a
 * catch-up that header is the store's current revision, ahead of the events sent so far, so a stream
 * dropped then would lose events. That is why EtcdStore runs its own streams.
 */
import type { IWatchResponse } from 'etcd3';
import type { WatchEvent } from '../store.js';
import { compactedError, groupByRevision, int64, toWatchEvent } from './etcd-mapping.js';

export type CursorStep =
  /** etcd registered the watch on this stream */
  | { kind: 'created' }
  /** new revisions to deliver, one array per revision, in order (may be empty: all were duplicates) */
  | { kind: 'events'; batches: WatchEvent[][] }
  /** a progress notification: nothing to deliver */
  | { kind: 'progress' }
  /** etcd ended the watch; `error` says why (StoreCompactedError when history is gone) */
  | { kind: 'canceled'; error: Error };

export class WatchCursor {
  /** the first revision not delivered yet: where a new stream starts */
  private nextRevision: number;

  constructor(startRevision: number) {
    this.nextRevision = startRevision;
  }

  get next(): number {
    return this.nextRevision;
  }

  take(response: IWatchResponse): CursorStep {
    if (response.canceled) {
      const compactRevision = int64(response.compact_revision || 0, 'compact_revision');
      if (compactRevision > 0) return { kind: 'canceled', error: compactedError(this.nextRevision, compactRevision) };
      const reason = response.cancel_reason ? `: ${response.cancel_reason}` : '';
      return { kind: 'canceled', error: new Error(`etcd canceled the watch${reason}`) };
    }
    if (response.created) return { kind: 'created' };
    const events = response.events ?? [];
    if (events.length === 0) {
      // A progress notification promises that every later event has a revision above
      // header.revision. etcd before 3.4.24 could send one just before the events of header.revision
      // itself, so resume no further than header.revision: a repeat of it is dropped as a duplicate.
      if (response.header) this.nextRevision = Math.max(this.nextRevision, int64(response.header.revision, 'header revision'));
      return { kind: 'progress' };
    }
    const batches = groupByRevision(events.map(toWatchEvent)).filter((batch) => batch[0].revision >= this.nextRevision);
    const last = batches.at(-1);
    if (last !== undefined) this.nextRevision = last[0].revision + 1;
    return { kind: 'events', batches };
  }
}
