import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planFailWrite } from './fail-write.js';
import type { Compare, TxnOp } from '../store/store.js';

const ETCD = { maxTxnOps: 128, maxTxnBytes: 1536 * 1024 - 64 * 1024 };
const SQLITE = { maxTxnOps: 10_000, maxTxnBytes: 16 * 1024 * 1024 };
const compare: Compare[] = [{ key: '/paz/scheduler/status/web/2', target: 'modRevision', op: '=', value: 7 }];
const commit: TxnOp[] = [
  { type: 'put', key: '/paz/scheduler/status/web/2', value: '{"state":"failed"}' },
  { type: 'put', key: '/paz/journal/1-web-2-deploy-failed', value: '{}' },
];
const restore = (n: number): TxnOp[] => Array.from({ length: n }, (_, i) => ({ type: 'put', key: `/paz/units/web/web-1-${i + 1}`, value: JSON.stringify({ unit: `web-1-${i + 1}`, hold: true }) }));

test('a failure that fits one txn stays one txn: status, journal and restore together', () => {
  assert.deepEqual(planFailWrite(commit, restore(3), compare, ETCD), { before: [], commit: [...commit, ...restore(3)] });
  assert.deepEqual(planFailWrite(commit, [], compare, ETCD), { before: [], commit });
  assert.deepEqual(planFailWrite(commit, restore(126), compare, ETCD).before, [], '126 + 2 = 128 ops: still one etcd txn');
  assert.deepEqual(planFailWrite(commit, restore(1000), compare, SQLITE).before, [], 'SQLite takes 1000 in one');
});

test('a restore over the store\'s limits goes first in chunks that fit, the outcome last on its own', () => {
  for (const n of [127, 131, 300, 1000]) {
    const plan = planFailWrite(commit, restore(n), compare, ETCD);
    assert.deepEqual(plan.commit, commit, `${n}: the commit is the status and journal`);
    assert.deepEqual(plan.before.flat(), restore(n), `${n}: every restore unit once, in order`);
    for (const chunk of plan.before) assert.ok(chunk.length <= ETCD.maxTxnOps, `${n}: a chunk of ${chunk.length}`);
    assert.equal(plan.before.length, Math.ceil(n / ETCD.maxTxnOps), `${n}: as few chunks as fit`);
  }
});
