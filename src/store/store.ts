/**
 * The store: one small interface modelled on etcd v3, so the whole platform runs on either the
 * embedded SQLite backend or a real etcd cluster. Every role talks to every other role only through
 * this interface and its watches.
 *
 * Semantics (checked by `conformance.ts` against every backend):
 * - every write that changes at least one key (put, delete, deletePrefix, txn, lease expiry or revoke)
 *   advances one global revision by exactly one, however many keys it touches (as in etcd); a write that
 *   changes nothing (deleting an absent key, a txn whose branch has no ops) leaves the revision alone;
 * - `createRevision` is the revision that created the key, `modRevision` the one that last changed it,
 *   `version` counts the puts since creation;
 * - `range(prefix)` is a plain string prefix: `/a/b` matches `/a/bc`; callers add the trailing slash;
 * - `rangeMany(prefixes)` reads them all at one revision (a consistent snapshot);
 * - `watch(prefix, fromRevision)` delivers every event with revision >= fromRevision, in order, each once,
 *   then keeps delivering live events; the events of one revision always arrive in one listener call;
 *   a revision at or below the compaction point fails with `StoreCompactedError`;
 * - keys attached to a lease are deleted (with delete events) when the lease expires or is revoked.
 */

export interface KeyValue {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
  /** lease id, 0 when none */
  lease: number;
}

export interface WatchEvent {
  type: 'put' | 'delete';
  key: string;
  /** value after the put; '' for a delete */
  value: string;
  revision: number;
  /** value before the event, when the key existed and the watch asked for it (WatchOptions.prevValues) */
  prevValue?: string;
}

/** Several prefixes read together (Store.rangeMany): `ranges[i]` holds the keys of `prefixes[i]`. */
export interface MultiRangeResult {
  ranges: KeyValue[][];
  /** the one revision every range was read at */
  revision: number;
}

export interface PutOptions {
  lease?: number;
}

export interface RangeResult {
  kvs: KeyValue[];
  /** the store's revision at the time of the read */
  revision: number;
}

/**
 * One comparison of a transaction; all must hold for the `success` branch to run.
 * As in etcd, an absent key has createRevision = modRevision = version = 0 (so `createRevision = 0`
 * means "the key does not exist"), and any `value` comparison on an absent key is false.
 */
export type Compare =
  | { key: string; target: 'modRevision' | 'createRevision' | 'version'; op: '=' | '>' | '<' | '!='; value: number }
  | { key: string; target: 'value'; op: '=' | '!='; value: string };

export type TxnOp =
  | { type: 'put'; key: string; value: string; lease?: number }
  | { type: 'delete'; key: string }
  | { type: 'deletePrefix'; prefix: string };

/** A branch may not write one key twice (two puts, or a put and a delete of it): the txn is rejected, as in etcd. */
export interface TxnRequest {
  compare: Compare[];
  success: TxnOp[];
  failure?: TxnOp[];
}

export interface TxnResult {
  succeeded: boolean;
  /** the revision of the txn's writes, or the current revision when it wrote nothing */
  revision: number;
}

export interface Watch {
  /** stops delivery; resolves when no more events will be delivered */
  cancel(): Promise<void>;
}

export interface WatchOptions {
  /** first revision to deliver; default: the next one (live events only) */
  fromRevision?: number;
  /** called once if the watch can no longer deliver (e.g. compacted history); the watch is then dead */
  onError?: (err: Error) => void;
  /**
   * give each event the key's previous value (prevValue). Off unless asked: etcd reads every previous value
   * from its backend, per event and per watcher, and with it on for every watch a deploy of 10,000 units was
   * delivered at ~5,000 events/s on this machine (placement waited seconds to see its own writes).
   */
  prevValues?: boolean;
}

export interface Lease {
  id: number;
  /** the granted TTL; a backend may grant more than asked (etcd has a minimum), never less */
  ttlSeconds: number;
}

/**
 * How much one write may carry on a backend (etcd: --max-txn-ops, default 128, and --max-request-bytes,
 * default 1.5 MiB). A txn (or put) beyond them rejects with StoreLimitError before anything is written;
 * callers that write many keys split their writes with these numbers (src/state/chunked-writes.ts).
 * `maxTxnBytes` bounds `txnBytes(req)` (txn-limits.ts), an estimate that errs on the large side.
 */
export interface StoreLimits {
  /** most ops in one branch of a txn, and most compares */
  maxTxnOps: number;
  /** most estimated bytes of one txn or put */
  maxTxnBytes: number;
}

export interface Store {
  /** a short name for logs: 'sqlite:/path' or 'etcd://host:2379' */
  readonly name: string;
  readonly limits: StoreLimits;
  get(key: string): Promise<KeyValue | undefined>;
  /** all keys starting with prefix, in key order */
  range(prefix: string): Promise<RangeResult>;
  /**
   * several prefixes read at ONE revision, as if in one read: an answer assembled from them is what the
   * store held at `revision`, so a reader can follow the changes after it (watch from revision + 1)
   * without a gap or a repeat. SQLite: one read transaction; etcd: the later ranges at the first's revision.
   */
  rangeMany(prefixes: readonly string[]): Promise<MultiRangeResult>;
  /** resolves to the revision of the write; rejects with LeaseNotFoundError for an unknown or expired lease */
  put(key: string, value: string, opts?: PutOptions): Promise<number>;
  /** deletes one key; resolves to how many keys were deleted (0 or 1) */
  delete(key: string): Promise<number>;
  deletePrefix(prefix: string): Promise<number>;
  txn(req: TxnRequest): Promise<TxnResult>;
  watch(prefix: string, listener: (events: WatchEvent[]) => void, opts?: WatchOptions): Promise<Watch>;
  /** ttlSeconds: a whole number >= 1 */
  grantLease(ttlSeconds: number): Promise<Lease>;
  /** refreshes the lease; resolves false if it no longer exists (expired or revoked) */
  keepAlive(leaseId: number): Promise<boolean>;
  /** deletes the lease's keys now (one revision); revoking an unknown or expired lease is not an error */
  revoke(leaseId: number): Promise<void>;
  /** the current revision */
  revision(): Promise<number>;
  /**
   * drops the history before `revision` (as etcd's compact): watches from `revision` on still work,
   * older ones fail with StoreCompactedError. Backends also compact on their own; this is for
   * operators and tests. Rejects if `revision` is in the future.
   */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}

export class StoreCompactedError extends Error {
  constructor(readonly requested: number, readonly compacted: number) {
    super(`revision ${requested} has been compacted (oldest available is ${compacted + 1})`);
    this.name = 'StoreCompactedError';
  }
}

export class LeaseNotFoundError extends Error {
  constructor(readonly leaseId: number) {
    super(`lease ${leaseId} not found (it expired or was revoked); grant a new lease`);
    this.name = 'LeaseNotFoundError';
  }
}

/**
 * A txn or put larger than the backend's limits; nothing was written. Split the write (see StoreLimits).
 * `refusedByStore`: the backend itself refused a write within the limits this client was given (an etcd run
 * with lower limits than its defaults): the operator's fix, not the caller's.
 */
export class StoreLimitError extends Error {
  constructor(
    readonly code: 'TXN_TOO_MANY_OPS' | 'TXN_TOO_LARGE',
    message: string,
    readonly refusedByStore = false,
  ) {
    super(message);
    this.name = 'StoreLimitError';
  }
}

/**
 * The store did not answer, or answered that it cannot serve now (etcd: no leader, request timed out, no
 * connection to any member): this process may be cut off from the store's quorum. Whether a write that
 * failed this way was applied is unknown; it was not acknowledged. `message` keeps the store's own words.
 */
export class StoreUnavailableError extends Error {
  constructor(store: string, reason: string) {
    super(`${store} is unavailable: ${reason}`);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * A write was sent to the store but no answer came that says whether it was applied (the deadline passed,
 * the connection broke, etcd's leader changed under it): it may have been made or not. The store client
 * does not send it again (a compare-and-set repeated could report "failed" for its own success, a put
 * repeated could undo a later write); the caller reads the state again before deciding.
 */
export class StoreWriteOutcomeUnknownError extends StoreUnavailableError {
  constructor(store: string, reason: string) {
    super(store, `${reason}; the write may or may not have been made`);
    this.name = 'StoreWriteOutcomeUnknownError';
  }
}

/**
 * The store refused a write because its space is used up: SQLite's disk is full, or etcd's database reached
 * its space quota (etcd then raises its NOSPACE alarm and refuses every write until an operator clears it).
 * Nothing of the write was made; reads still work. The fix is the operator's: `message` says which.
 */
export class StoreFullError extends Error {
  constructor(store: string, reason: string) {
    super(`${store} refuses writes: ${reason}`);
    this.name = 'StoreFullError';
  }
}

export class StoreClosedError extends Error {
  constructor() {
    super('the store is closed');
    this.name = 'StoreClosedError';
  }
}
