/**
 * A read-only Store holding what several prefixes held at one revision (Store.rangeMany). The read
 * models (Directory, Deploys, ClusterView, …) run on it unchanged, so an answer they assemble from many
 * reads is still the store at one revision: the revision an API answer reports in `x-paz-revision`.
 *
 * A read outside the prefixes it was made with fails loudly (a route that forgot a prefix would otherwise
 * answer as if the keys did not exist); writes and watches fail: a snapshot is for reading.
 */
import type { KeyValue, Lease, MultiRangeResult, RangeResult, Store, StoreLimits, TxnResult, Watch } from './store.js';
import { MirrorState, type MirrorView } from './mirror-state.js';

export class SnapshotReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotReadError';
  }
}

export class StoreSnapshot implements Store {
  readonly name: string;
  readonly limits: StoreLimits;
  private readonly at: number;

  /**
   * `view`: what the store held at one revision, read for this snapshot (readSnapshot) or kept in memory
   * (state/store-mirror.ts; then `mirrored` is true, and the view may hold more than `prefixes`).
   */
  constructor(
    base: Pick<Store, 'name' | 'limits'>,
    private readonly prefixes: readonly string[],
    readonly view: MirrorView,
    readonly mirrored = false,
  ) {
    this.name = `${base.name}@${view.revision}`;
    this.limits = base.limits;
    this.at = view.revision;
  }

  /** the revision of the last change under the snapshot's prefixes (at most atRevision): an answer made from them is the same from there to atRevision */
  get changedAt(): number {
    return this.view.changedAt(this.prefixes);
  }

  /** the revision every read of this snapshot answers from */
  get atRevision(): number {
    return this.at;
  }

  private covered(keyOrPrefix: string): void {
    if (!this.prefixes.some((p) => keyOrPrefix.startsWith(p))) {
      throw new SnapshotReadError(`${keyOrPrefix} was read from a snapshot of ${this.prefixes.join(', ')}: add its prefix to the snapshot`);
    }
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.covered(key);
    return this.view.get(key);
  }

  async range(prefix: string): Promise<RangeResult> {
    this.covered(prefix);
    return { kvs: this.view.range(prefix), revision: this.at };
  }

  async rangeMany(prefixes: readonly string[]): Promise<MultiRangeResult> {
    return { ranges: await Promise.all(prefixes.map(async (p) => (await this.range(p)).kvs)), revision: this.at };
  }

  async revision(): Promise<number> {
    return this.at;
  }

  private readOnly(what: string): never {
    throw new SnapshotReadError(`${what} on a read snapshot: snapshots are for reading`);
  }

  put(): Promise<number> {
    return this.readOnly('put');
  }
  delete(): Promise<number> {
    return this.readOnly('delete');
  }
  deletePrefix(): Promise<number> {
    return this.readOnly('deletePrefix');
  }
  txn(): Promise<TxnResult> {
    return this.readOnly('txn');
  }
  watch(): Promise<Watch> {
    return this.readOnly('watch');
  }
  grantLease(): Promise<Lease> {
    return this.readOnly('grantLease');
  }
  keepAlive(): Promise<boolean> {
    return this.readOnly('keepAlive');
  }
  revoke(): Promise<void> {
    return this.readOnly('revoke');
  }
  compact(): Promise<void> {
    return this.readOnly('compact');
  }
  async close(): Promise<void> {}
}

/** What several prefixes held at one revision. */
export async function readSnapshot(store: Store, prefixes: readonly string[]): Promise<StoreSnapshot> {
  return new StoreSnapshot(store, prefixes, new MirrorState(await store.rangeMany(prefixes)).view());
}
