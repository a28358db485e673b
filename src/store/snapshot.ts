/**
 * A read-only Store holding what several prefixes held at one revision (Store.rangeMany). The read
 * models (Directory, Deploys, ClusterView, …) run on it unchanged, so an answer they assemble from many
 * reads is still the store at one revision: the revision an API answer reports in `x-paz-revision`.
 *
 * A read outside the prefixes it was made with fails loudly (a route that forgot a prefix would otherwise
 * answer as if the keys did not exist); writes and watches fail: a snapshot is for reading.
 */
import type { KeyValue, Lease, MultiRangeResult, RangeResult, Store, StoreLimits, TxnResult, Watch } from './store.js';

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
  private readonly kvs = new Map<string, KeyValue>();

  constructor(
    base: Pick<Store, 'name' | 'limits'>,
    private readonly prefixes: readonly string[],
    read: MultiRangeResult,
  ) {
    this.name = `${base.name}@${read.revision}`;
    this.limits = base.limits;
    this.at = read.revision;
    for (const range of read.ranges) for (const kv of range) this.kvs.set(kv.key, kv);
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
    return this.kvs.get(key);
  }

  async range(prefix: string): Promise<RangeResult> {
    this.covered(prefix);
    // code-point order, as both backends keep keys
    const kvs = [...this.kvs.values()].filter((kv) => kv.key.startsWith(prefix)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { kvs, revision: this.at };
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
  return new StoreSnapshot(store, prefixes, await store.rangeMany(prefixes));
}
