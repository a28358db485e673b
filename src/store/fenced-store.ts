/**
 * A Store whose writes commit only while one leadership term lasts: every write becomes a txn that also
 * compares the election key's createRevision with the revision the term began at (the fencing token).
 * The key lives under the leader's lease, so the moment that lease expires in the store (the leader was
 * partitioned, paused, or its keep-alives stalled) or the key is taken over, every write of the old term
 * fails in the store itself, whatever the old leader still believes: a write sent before the partition
 * and delivered after it, or a loop pass that read before losing the lead and writes after, cannot land.
 * Checking `isLeader()` before writing cannot give that: the check and the write are two steps.
 *
 * Reads, watches and leases pass through. A fenced write that the fence stops rejects with NotLeaderError;
 * a txn whose own compares fail resolves `succeeded: false` as usual.
 */
import type { Compare, KeyValue, Lease, MultiRangeResult, PutOptions, RangeResult, Store, StoreLimits, TxnOp, TxnRequest, TxnResult, Watch, WatchEvent, WatchOptions } from './store.js';

/** How many of a refused write's ops its error names (a placement txn holds up to 127). */
const OPS_NAMED = 4;

/**
 * What a refused write would have done, for its error: "put /a, delete /b and 3 more". A leader woken from a
 * long pause refuses the writes of the pass it began from its stale view: the log then says what they were.
 */
export function describeOps(ops: readonly TxnOp[]): string {
  const named = ops.slice(0, OPS_NAMED).map((op) => (op.type === 'deletePrefix' ? `delete ${op.prefix}*` : `${op.type} ${op.key}`));
  return ops.length > OPS_NAMED ? `${named.join(', ')} and ${ops.length - OPS_NAMED} more` : named.join(', ');
}

export class NotLeaderError extends Error {
  constructor(readonly key: string, readonly term: number, ops: readonly TxnOp[] = []) {
    super(`no longer the leader of ${key} (term that began at revision ${term} is over): the write was not made${ops.length > 0 ? ` (${describeOps(ops)})` : ''}`);
    this.name = 'NotLeaderError';
  }
}

/** The compare that holds only while the election key is the one created at `term`. */
export function fenceCompare(electionKey: string, term: number): Compare {
  return { key: electionKey, target: 'createRevision', op: '=', value: term };
}

/**
 * `req` with the fence added to its compares. A failure branch would run when the fence fails, i.e. write
 * after the term is over, so fenced txns may not have one.
 */
export function fencedTxn(req: TxnRequest, fence: Compare): TxnRequest {
  if (req.failure && req.failure.length > 0) throw new TypeError('a fenced txn cannot have a failure branch: it would run once the term is over');
  return { compare: [...req.compare, fence], success: req.success };
}

/** The limits left to callers once the fence takes one compare (and its bytes). */
export function fencedLimits(limits: StoreLimits, electionKey: string): StoreLimits {
  return { maxTxnOps: limits.maxTxnOps - 1, maxTxnBytes: limits.maxTxnBytes - (electionKey.length + 64) };
}

/** The store `store` reads from: a FencedStore's reads are its inner store's, whatever the term. */
export function readsOf(store: Store): Store {
  return store instanceof FencedStore ? store.inner : store;
}

export class FencedStore implements Store {
  readonly name: string;
  readonly limits: StoreLimits;
  private readonly fence: Compare;

  /** `inner`: the store it reads through and fences writes to */
  constructor(readonly inner: Store, private readonly electionKey: string, private readonly term: number) {
    this.name = inner.name;
    this.limits = fencedLimits(inner.limits, electionKey);
    this.fence = fenceCompare(electionKey, term);
  }

  get(key: string): Promise<KeyValue | undefined> {
    return this.inner.get(key);
  }

  range(prefix: string): Promise<RangeResult> {
    return this.inner.range(prefix);
  }

  rangeMany(prefixes: readonly string[]): Promise<MultiRangeResult> {
    return this.inner.rangeMany(prefixes);
  }

  async put(key: string, value: string, opts: PutOptions = {}): Promise<number> {
    const res = await this.txn({ compare: [], success: [{ type: 'put', key, value, ...(opts.lease !== undefined ? { lease: opts.lease } : {}) }] });
    return res.revision;
  }

  async delete(key: string): Promise<number> {
    // a txn does not say how many keys it deleted: look first (the count is informational)
    const existed = (await this.inner.get(key)) !== undefined;
    await this.txn({ compare: [], success: [{ type: 'delete', key }] });
    return existed ? 1 : 0;
  }

  async deletePrefix(prefix: string): Promise<number> {
    const count = (await this.inner.range(prefix)).kvs.length;
    await this.txn({ compare: [], success: [{ type: 'deletePrefix', prefix }] });
    return count;
  }

  async txn(req: TxnRequest): Promise<TxnResult> {
    const res = await this.inner.txn(fencedTxn(req, this.fence));
    if (res.succeeded) return res;
    // the fence or the caller's own compares failed: the fence never holds again once it failed, so a look now tells which
    const kv = await this.inner.get(this.electionKey);
    if (kv?.createRevision !== this.term) throw new NotLeaderError(this.electionKey, this.term, req.success);
    return res;
  }

  watch(prefix: string, listener: (events: WatchEvent[]) => void, opts?: WatchOptions): Promise<Watch> {
    return this.inner.watch(prefix, listener, opts);
  }

  grantLease(ttlSeconds: number): Promise<Lease> {
    return this.inner.grantLease(ttlSeconds);
  }

  keepAlive(leaseId: number): Promise<boolean> {
    return this.inner.keepAlive(leaseId);
  }

  revoke(leaseId: number): Promise<void> {
    return this.inner.revoke(leaseId);
  }

  revision(): Promise<number> {
    return this.inner.revision();
  }

  compact(revision: number): Promise<void> {
    return this.inner.compact(revision);
  }

  /** the inner store belongs to whoever made it */
  async close(): Promise<void> {}
}
