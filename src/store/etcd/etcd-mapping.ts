/**
 * Pure translation between the Store's types and etcd v3's gRPC messages as the etcd3 package decodes
 * them (int64 fields as decimal strings, keys and values as Buffers, enums by their proto names).
 * No I/O here, so every rule reads and is tested on its own.
 */
import type { ICompare, IEvent, IKeyValue, IPutRequest, IRequestOp } from 'etcd3';
import { StoreCompactedError, type Compare, type KeyValue, type TxnOp, type WatchEvent } from '../store.js';
import { validateOp } from '../validate-op.js';

/** A key range as etcd takes it: `key <= k < range_end`. */
export interface KeyRange {
  key: Buffer;
  range_end: Buffer;
}

/**
 * The range of every key that starts with `prefix`, by etcd's own rule (clientv3.GetPrefixRangeEnd):
 * the end is the prefix with its last byte below 0xff incremented (trailing 0xff bytes dropped). etcd
 * orders keys byte-wise, which for UTF-8 is code-point order, the same order as the SQLite backend.
 * The empty prefix is every key: key "\0" with range_end "\0" means "all keys >= \0" to etcd.
 */
export function prefixRange(prefix: string): KeyRange {
  const start = Buffer.from(prefix, 'utf8');
  for (let i = start.length - 1; i >= 0; i--) {
    if (start[i] < 0xff) {
      const end = Buffer.from(start.subarray(0, i + 1));
      end[i]++;
      return { key: start, range_end: end };
    }
  }
  return { key: start.length === 0 ? Buffer.from([0]) : start, range_end: Buffer.from([0]) };
}

/** An int64 that the Store carries as a number (revisions, versions); etcd's never come near 2^53. */
export function int64(value: string | number, what: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`etcd sent ${what} ${value}, which is not a whole number below 2^53`);
  return n;
}

/**
 * A lease id. EtcdStore grants leases with ids below 2^53 so they survive as numbers; a key leased by
 * another etcd client may carry a larger id, which comes back rounded (it then matches no lease of ours).
 */
export function leaseIdOf(value: string | number): number {
  return Number(value);
}

export function toKeyValue(kv: IKeyValue): KeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value.toString('utf8'),
    createRevision: int64(kv.create_revision, 'create_revision'),
    modRevision: int64(kv.mod_revision, 'mod_revision'),
    version: int64(kv.version, 'version'),
    lease: leaseIdOf(kv.lease),
  };
}

export function toWatchEvent(event: IEvent): WatchEvent {
  const type = String(event.type).toLowerCase();
  if (type !== 'put' && type !== 'delete') throw new Error(`etcd sent a watch event of unknown type ${String(event.type)}`);
  const out: WatchEvent = {
    type,
    key: event.kv.key.toString('utf8'),
    // a delete event's kv carries the key and the deleting revision, never a value
    value: type === 'put' ? event.kv.value.toString('utf8') : '',
    // for a delete, etcd sets the tombstone's mod_revision to the deleting revision
    revision: int64(event.kv.mod_revision, 'mod_revision'),
  };
  // prev_kv comes only when the key existed before (and the watch asked for it)
  if (event.prev_kv) out.prevValue = event.prev_kv.value.toString('utf8');
  return out;
}

/** Splits events (already in revision order) into one array per revision. */
export function groupByRevision(events: WatchEvent[]): WatchEvent[][] {
  const groups: WatchEvent[][] = [];
  for (const event of events) {
    const last = groups.at(-1);
    if (last !== undefined && last[0].revision === event.revision) last.push(event);
    else groups.push([event]);
  }
  return groups;
}

/**
 * etcd's `compact_revision` is the oldest revision still available (a watch from it works, as
 * after Store.compact(r) a watch from r works); StoreCompactedError wants the newest one dropped.
 */
export function compactedError(requested: number, etcdCompactRevision: number): StoreCompactedError {
  return new StoreCompactedError(requested, etcdCompactRevision - 1);
}

const COMPARE_RESULT = { '=': 'Equal', '!=': 'NotEqual', '>': 'Greater', '<': 'Less' } as const;

/**
 * A Store comparison as etcd's. etcd itself treats an absent key as create/mod revision and version 0
 * and fails any value comparison on it, exactly the Store's rule, so nothing is rewritten here.
 */
export function toEtcdCompare(compare: Compare): ICompare {
  const key = Buffer.from(compare.key, 'utf8');
  const result = COMPARE_RESULT[compare.op];
  if (result === undefined) throw new TypeError(`unknown compare operator ${JSON.stringify(compare.op)}`);
  switch (compare.target) {
    case 'value':
      if (compare.op !== '=' && compare.op !== '!=') throw new TypeError(`a value comparison takes = or !=, got ${compare.op}`);
      if (typeof compare.value !== 'string') throw new TypeError(`a value comparison on ${compare.key} needs a string value`);
      return { key, target: 'Value', result, value: Buffer.from(compare.value, 'utf8') };
    case 'modRevision':
      return { key, target: 'Mod', result, mod_revision: wholeNumber(compare.value, compare) };
    case 'createRevision':
      return { key, target: 'Create', result, create_revision: wholeNumber(compare.value, compare) };
    case 'version':
      return { key, target: 'Version', result, version: wholeNumber(compare.value, compare) };
    default:
      throw new TypeError(`unknown compare target ${JSON.stringify((compare as { target: unknown }).target)}`);
  }
}

function wholeNumber(value: unknown, compare: Compare): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new TypeError(`a ${compare.target} comparison on ${compare.key} needs a whole number, got ${String(value)}`);
  }
  return value;
}

/**
 * One write of a txn branch as etcd's request op. A put always sends its lease (0 = none), because in
 * etcd a put without a lease detaches the key from the one it had.
 */
export function toRequestOp(op: TxnOp): IRequestOp {
  validateOp(op);
  switch (op.type) {
    case 'put':
      return { request_put: toPutRequest(op.key, op.value, op.lease) };
    case 'delete':
      return { request_delete_range: { key: Buffer.from(op.key, 'utf8') } };
    case 'deletePrefix':
      return { request_delete_range: prefixRange(op.prefix) };
  }
}

/** A put as etcd's request, checked first; without a lease it sends lease 0, which detaches the key. */
export function toPutRequest(key: string, value: string, lease: number | undefined): IPutRequest {
  validateOp({ type: 'put', key, value, lease });
  return { key: Buffer.from(key, 'utf8'), value: Buffer.from(value, 'utf8'), lease: lease ?? 0 };
}

/** The first lease a branch puts with: the one a "lease not found" from etcd is about. */
export function leaseOfOps(ops: TxnOp[]): number | undefined {
  for (const op of ops) if (op.type === 'put' && op.lease !== undefined && op.lease !== 0) return op.lease;
  return undefined;
}


/** etcd's header revision of a response. */
export function headerRevision(response: { header?: { revision: string } | null }): number {
  if (!response.header) throw new Error('etcd sent a response without a header');
  return int64(response.header.revision, 'header revision');
}
