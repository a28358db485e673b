/**
 * One Store watch over etcd: its own gRPC Watch stream (one watcher per stream, so no bookkeeping of
 * watch ids), opened again with growing pauses whenever it breaks (etcd restarted, member lost, network
 * cut), each time from the first revision not yet delivered (see WatchCursor). It ends only by cancel(),
 * by etcd canceling it (compacted history), or by a listener that throws.
 */
import type { IDuplexStream, IWatchRequest, IWatchResponse } from 'etcd3';
import type { WatchEvent } from '../store.js';
import type { KeyRange } from './etcd-mapping.js';
import { WatchCursor } from './watch-cursor.js';
import { Backoff } from '../../core/backoff.js';

export type WatchStream = IDuplexStream<IWatchRequest, IWatchResponse>;

export interface ResumableWatchOptions {
  /** opens a new Watch stream (rejects when no etcd member can be reached) */
  openStream: () => Promise<WatchStream>;
  range: KeyRange;
  startRevision: number;
  /** ask etcd for each event's previous value (a backend read per event: only for watches that use it) */
  prevValues: boolean;
  listener: (events: WatchEvent[]) => void;
  /** called once when the watch dies (not on cancel) */
  onError: (err: Error) => void;
  /** called when a working stream breaks (once per outage, not per retry), with the revision it resumes from */
  onDisconnect: (err: Error, resumeFrom: number) => void;
  /** called once when the watch is over, however it ended */
  onEnd: () => void;
  /** first pause before opening the stream again (default 100 ms), doubled up to maxRetryMs (default 2 s) */
  minRetryMs?: number;
  maxRetryMs?: number;
}

export class ResumableWatch {
  private readonly cursor: WatchCursor;
  private stream: WatchStream | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly retryBackoff: Backoff;
  private ended = false;
  /** whether the current outage was reported already */
  private disconnectReported = false;
  /** settles the attach() in progress, so ending the watch never leaves start() hanging */
  private settleAttach: (() => void) | undefined;

  constructor(private readonly opts: ResumableWatchOptions) {
    this.cursor = new WatchCursor(opts.startRevision);
    this.retryBackoff = new Backoff({ initialMs: opts.minRetryMs ?? 100, maxMs: opts.maxRetryMs ?? 2_000 });
  }

  /** Opens the first stream; resolves when etcd has registered the watch, rejects if that fails. */
  async start(): Promise<void> {
    try {
      await this.attach();
    } catch (err) {
      this.end();
      throw err;
    }
  }

  /** Stops delivery at once (no listener call after this) and closes the stream. */
  async cancel(): Promise<void> {
    this.end();
  }

  /**
   * Opens a stream and asks for the watch from the cursor. Resolves once etcd created the watch,
   * rejects if the stream fails before that; a failure after that schedules the next attempt.
   */
  private async attach(): Promise<void> {
    const stream = await this.opts.openStream();
    if (this.ended) {
      closeQuietly(stream);
      return;
    }
    this.stream = stream;
    await new Promise<void>((resolve, reject) => {
      this.settleAttach = resolve;
      let created = false;
      let lost = false;
      const onLost = (err: Error) => {
        if (lost) return;
        lost = true;
        if (this.ended || this.stream !== stream) return;
        this.stream = undefined;
        if (created) this.retryLater(err);
        else reject(err);
      };
      stream.on('data', (response: IWatchResponse) => {
        if (this.ended || this.stream !== stream) return;
        let step;
        try {
          step = this.cursor.take(response);
        } catch (err) {
          this.fail(asError(err));
          resolve();
          return;
        }
        switch (step.kind) {
          case 'created':
            created = true;
            this.retryBackoff.reset();
            this.disconnectReported = false;
            resolve();
            return;
          case 'progress':
            return;
          case 'events':
            this.deliver(step.batches);
            return;
          case 'canceled':
            // resolve first: a watch that etcd refuses at once (compacted start) still starts, then fails
            resolve();
            this.fail(step.error);
            return;
        }
      });
      stream.on('error', (err: Error) => onLost(err));
      stream.on('end', () => onLost(new Error('etcd ended the watch stream')));
      stream.write({
        create_request: {
          ...this.opts.range,
          start_revision: this.cursor.next,
          prev_kv: this.opts.prevValues,
          // lets the cursor move past quiet stretches, so a resume after a long quiet spell is not
          // refused as compacted when no event of this prefix was lost
          progress_notify: true,
        },
      });
    });
  }

  private deliver(batches: WatchEvent[][]): void {
    for (const batch of batches) {
      if (this.ended) return;
      try {
        this.opts.listener(batch);
      } catch (err) {
        // a listener bug ends this watch only, as in the SQLite backend
        this.fail(asError(err));
        return;
      }
    }
  }

  private retryLater(err: Error): void {
    if (this.ended) return;
    if (!this.disconnectReported) {
      this.disconnectReported = true;
      this.opts.onDisconnect(err, this.cursor.next);
    }
    const delay = this.retryBackoff.next();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.ended) return;
      this.attach().catch((attachErr: unknown) => this.retryLater(asError(attachErr)));
    }, delay);
    // an abandoned watch must not keep the process alive by its retries alone
    this.retryTimer.unref();
  }

  private fail(err: Error): void {
    if (this.ended) return;
    this.end();
    this.opts.onError(err);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.stream !== undefined) closeQuietly(this.stream);
    this.stream = undefined;
    this.settleAttach?.();
    this.settleAttach = undefined;
    this.opts.onEnd();
  }
}

/**
 * Half-closes a stream; etcd then ends its side cleanly. Not stream.cancel(): etcd3 treats the
 * CANCELLED error that follows as a host failure and resets every gRPC client of that host, which
 * would break the other watches and calls in flight.
 */
export function closeQuietly(stream: WatchStream | IDuplexStream<unknown, unknown>): void {
  // a late error must not become an unhandled 'error' event
  stream.on('error', () => {});
  try {
    stream.end();
  } catch {
    // already closed
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
