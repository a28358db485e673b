/**
 * The pure rules of a transaction, kept apart from SQLite so they read (and are tested) on their own.
 * They follow etcd v3: an absent key compares as createRevision = modRevision = version = 0, a value
 * comparison on an absent key is false, and a branch may not write one key twice.
 */
import type { Compare, KeyValue, TxnOp } from '../store.js';

export function compareHolds(kv: KeyValue | undefined, compare: Compare): boolean {
  if (compare.target === 'value') {
    // etcd: "always fail if comparing a value on a key that doesn't exist"
    if (kv === undefined) return false;
    return compare.op === '=' ? kv.value === compare.value : kv.value !== compare.value;
  }
  const actual = kv === undefined ? 0 : kv[compare.target];
  switch (compare.op) {
    case '=':
      return actual === compare.value;
    case '!=':
      return actual !== compare.value;
    case '>':
      return actual > compare.value;
    case '<':
      return actual < compare.value;
  }
}

/** Throws if the branch writes one key twice: two puts of a key, or a put of a key that a delete also covers. */
export function assertNoDuplicateWrites(ops: TxnOp[]): void {
  const putKeys = new Set<string>();
  for (const op of ops) {
    if (op.type !== 'put') continue;
    if (putKeys.has(op.key)) throw new Error(`txn writes key ${JSON.stringify(op.key)} twice in one branch`);
    putKeys.add(op.key);
  }
  for (const op of ops) {
    if (op.type === 'put') continue;
    for (const key of putKeys) {
      const covered = op.type === 'delete' ? key === op.key : key.startsWith(op.prefix);
      if (covered) throw new Error(`txn both puts and deletes key ${JSON.stringify(key)} in one branch`);
    }
  }
}
