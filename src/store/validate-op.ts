/** Input rules every backend checks before writing anything, with messages that say what to fix. */
import type { TxnOp } from './store.js';

export function validateOp(op: TxnOp): void {
  if (op.type === 'deletePrefix') {
    if (typeof op.prefix !== 'string') throw new TypeError('deletePrefix needs a string prefix');
    return;
  }
  if (op.type !== 'put' && op.type !== 'delete') throw new TypeError(`unknown txn op type ${JSON.stringify((op as { type: unknown }).type)}`);
  if (typeof op.key !== 'string' || op.key === '') throw new TypeError(`${op.type} needs a non-empty string key`);
  if (op.type === 'put') {
    if (typeof op.value !== 'string') {
      throw new TypeError(`the value of ${op.key} must be a string (serialize JSON yourself), got ${typeof op.value}`);
    }
    if (op.lease !== undefined && !Number.isSafeInteger(op.lease)) {
      throw new TypeError(`the lease of ${op.key} must be a lease id, got ${op.lease}`);
    }
  }
}
