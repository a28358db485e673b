/**
 * Splitting many writes into txns that fit a store's limits (pure). A caller that must write more keys
 * than one txn may carry (a deploy of 1000 instances on etcd: 128 ops per txn) gives its ops and what
 * every txn of the series carries besides (its compares, e.g. a lock check, and fixed ops), and gets
 * groups of ops, in order, each of which fits with that overhead.
 */
import { StoreLimitError, type Compare, type StoreLimits, type TxnOp } from './store.js';
import { opBytes, txnBytes } from './txn-limits.js';

export interface ChunkOverhead {
  /** compares every txn of the series carries */
  compare?: Compare[];
  /** ops every txn of the series carries besides the chunk */
  ops?: TxnOp[];
}

/** One write of a series, with the compare that guards it (e.g. the key's modRevision), if any. */
export interface GuardedOp {
  op: TxnOp;
  compare?: Compare;
}

export function chunkOps(ops: TxnOp[], limits: StoreLimits, overhead: ChunkOverhead = {}): TxnOp[][] {
  return chunkWrites(ops.map((op) => ({ op })), limits, overhead).map((c) => c.ops);
}

/** Like chunkOps, for writes that carry their own compares (counted against the limits too). */
export function chunkWrites(writes: GuardedOp[], limits: StoreLimits, overhead: ChunkOverhead = {}): Array<{ ops: TxnOp[]; compare: Compare[] }> {
  const fixedOps = overhead.ops ?? [];
  const fixedCompares = overhead.compare ?? [];
  const fixedBytes = txnBytes({ compare: fixedCompares, success: fixedOps });
  const maxOps = limits.maxTxnOps - fixedOps.length;
  const maxCompares = limits.maxTxnOps - fixedCompares.length;
  const maxBytes = limits.maxTxnBytes - fixedBytes;
  if (maxOps < 1 || maxCompares < 1 || maxBytes < 1) {
    throw new StoreLimitError('TXN_TOO_LARGE', `the fixed part of each txn (${fixedOps.length} ops, ~${fixedBytes} bytes) leaves no room under this store's limits`);
  }
  const chunks: Array<{ ops: TxnOp[]; compare: Compare[] }> = [];
  let current = { ops: [] as TxnOp[], compare: [] as Compare[] };
  let bytes = 0;
  for (const w of writes) {
    const b = opBytes(w.op) + (w.compare ? txnBytes({ compare: [w.compare], success: [] }) : 0);
    if (b > maxBytes) {
      throw new StoreLimitError('TXN_TOO_LARGE', `one write of ~${b} bytes (${w.op.type === 'deletePrefix' ? w.op.prefix : w.op.key}) is over this store's limit of ${limits.maxTxnBytes} bytes per txn`);
    }
    const full = current.ops.length + 1 > maxOps || current.compare.length + (w.compare ? 1 : 0) > maxCompares || bytes + b > maxBytes;
    if (current.ops.length > 0 && full) {
      chunks.push(current);
      current = { ops: [], compare: [] };
      bytes = 0;
    }
    current.ops.push(w.op);
    if (w.compare) current.compare.push(w.compare);
    bytes += b;
  }
  if (current.ops.length > 0) chunks.push(current);
  return chunks;
}

/** Whether `ops` plus the overhead fit in ONE txn. */
export function fitsOneTxn(ops: TxnOp[], limits: StoreLimits, overhead: ChunkOverhead = {}): boolean {
  const all = [...(overhead.ops ?? []), ...ops];
  const compare = overhead.compare ?? [];
  return all.length <= limits.maxTxnOps && compare.length <= limits.maxTxnOps && txnBytes({ compare, success: all }) <= limits.maxTxnBytes;
}
