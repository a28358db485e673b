import type { Store } from '../store/store.js';

/**
 * The store's current revision for many concurrent readers at the price of few calls: a caller gets the
 * answer of a call that began after it asked (an answer begun earlier could miss a write that finished
 * just before), and every caller who asks before that call begins shares it (as etcd's ReadIndex batches
 * linearizable reads). A call begins at the end of the event-loop turn it was asked in, or when the call
 * already out has answered: the requests a turn parses share one call. On SQLite the call is a one-row read
 * that still takes the database's read lock (about 20 µs), and starting it at once for every GET was a
 * fifth of a loaded server's CPU.
 */
export class RevisionFence {
  private running: Promise<number> | undefined;
  private next: Promise<number> | undefined;

  constructor(private readonly store: Pick<Store, 'revision'>) {}

  latest(): Promise<number> {
    this.next ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.running?.then(settled, settled))
      .then(() => this.call());
    return this.next;
  }

  private call(): Promise<number> {
    // whoever asks from now on asks after this call began, and shares the one after it
    this.next = undefined;
    const call = this.store.revision();
    this.running = call;
    const clear = () => {
      if (this.running === call) this.running = undefined;
    };
    call.then(clear, clear);
    return call;
  }
}

function settled(): void {}
