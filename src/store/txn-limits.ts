/**
 * The size rules every backend checks before writing (pure): how many ops a txn has and roughly how
 * many bytes it takes on the wire. The estimate counts keys and values in UTF-8 plus a fixed overhead
 * per op and per compare, which is more than etcd's protobuf framing needs, so a txn that passes here
 * also passes etcd's --max-request-bytes when `maxTxnBytes` is set a little below it.
 */
import { StoreLimitError, type StoreLimits, type TxnOp, type TxnRequest } from './store.js';

/** protobuf framing of one op or compare, rounded up generously */
export const OP_OVERHEAD_BYTES = 32;

export function opBytes(op: TxnOp): number {
  if (op.type === 'deletePrefix') return Buffer.byteLength(op.prefix, 'utf8') + OP_OVERHEAD_BYTES;
  if (op.type === 'delete') return Buffer.byteLength(op.key, 'utf8') + OP_OVERHEAD_BYTES;
  return Buffer.byteLength(op.key, 'utf8') + Buffer.byteLength(op.value, 'utf8') + OP_OVERHEAD_BYTES;
}

export function txnBytes(req: TxnRequest): number {
  let bytes = 0;
  for (const c of req.compare) bytes += Buffer.byteLength(c.key, 'utf8') + (typeof c.value === 'string' ? Buffer.byteLength(c.value, 'utf8') : 8) + OP_OVERHEAD_BYTES;
  for (const op of req.success) bytes += opBytes(op);
  for (const op of req.failure ?? []) bytes += opBytes(op);
  return bytes;
}

/** Throws StoreLimitError when the txn is over the limits, with numbers that say by how much. */
export function checkTxnLimits(req: TxnRequest, limits: StoreLimits): void {
  const counts = [['compares', req.compare.length], ['success ops', req.success.length], ['failure ops', req.failure?.length ?? 0]] as const;
  for (const [what, n] of counts) {
    if (n > limits.maxTxnOps) {
      throw new StoreLimitError('TXN_TOO_MANY_OPS', `a txn with ${n} ${what} is over this store's limit of ${limits.maxTxnOps}: split it into several txns`);
    }
  }
  const bytes = txnBytes(req);
  if (bytes > limits.maxTxnBytes) {
    throw new StoreLimitError('TXN_TOO_LARGE', `a txn of about ${bytes} bytes is over this store's limit of ${limits.maxTxnBytes} bytes: split it into several txns`);
  }
}
