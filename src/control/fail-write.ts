/**
 * How a deploy's failure is written (pure): the rollout status and journal entry, plus, after a failed
 * recreate, the serving version's units started again ("restore"). It used to be one txn; a restore of more
 * than ~125 instances is over etcd's 128 ops per txn, so the failure was never written and the service
 * stayed "deploying" with nothing running.
 *
 * When it all fits one txn it stays one txn. Otherwise the restore units go first, in chunks, each guarded
 * by the same compare as the commit (the status is unchanged: still deploying, nobody decided meanwhile),
 * and the commit (status, journal) last. The units are held (they start once the failed instances are
 * gone), so until the commit nothing acts on them; a controller that dies half-way leaves some of them,
 * and its successor decides the same restore under the same names (rollout-policy.ts: held units of the
 * serving version are not counted as live) and writes them again over the earlier ones.
 */
import { chunkOps, fitsOneTxn } from '../store/chunk-ops.js';
import type { Compare, StoreLimits, TxnOp } from '../store/store.js';

export interface FailWrite {
  /** txns to run first, in order, each with `compare`; stop at the first that does not succeed */
  before: TxnOp[][];
  /** the last txn, with `compare`: the outcome itself */
  commit: TxnOp[];
}

export function planFailWrite(commitOps: TxnOp[], restoreOps: TxnOp[], compare: Compare[], limits: StoreLimits): FailWrite {
  if (fitsOneTxn([...commitOps, ...restoreOps], limits, { compare })) return { before: [], commit: [...commitOps, ...restoreOps] };
  return { before: chunkOps(restoreOps, limits, { compare }), commit: commitOps };
}
