import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chunkOps, chunkWrites, fitsOneTxn } from './chunk-ops.js';
import { StoreLimitError, type TxnOp } from './store.js';
import { checkTxnLimits, txnBytes } from './txn-limits.js';

const put = (i: number, size = 10): TxnOp => ({ type: 'put', key: `/k/${String(i).padStart(4, '0')}`, value: 'x'.repeat(size) });

describe('chunkOps', () => {
  it('splits by op count, keeping order, with room for the fixed ops', () => {
    const ops = Array.from({ length: 300 }, (_, i) => put(i));
    const chunks = chunkOps(ops, { maxTxnOps: 128, maxTxnBytes: 1e9 }, { ops: [put(9999)] });
    assert.deepEqual(chunks.map((c) => c.length), [127, 127, 46]);
    assert.deepEqual(chunks.flat(), ops);
  });

  it('splits by bytes, and every chunk passes the store check with its overhead', () => {
    const ops = Array.from({ length: 50 }, (_, i) => put(i, 1000));
    const limits = { maxTxnOps: 128, maxTxnBytes: 10_000 };
    const compare = [{ key: '/lock', target: 'value' as const, op: '=' as const, value: 'me' }];
    const chunks = chunkOps(ops, limits, { compare });
    assert.ok(chunks.length > 5);
    for (const c of chunks) checkTxnLimits({ compare, success: c }, limits);
    assert.deepEqual(chunks.flat(), ops);
  });

  it('refuses one op that can never fit, with a StoreLimitError', () => {
    assert.throws(() => chunkOps([put(1, 20_000)], { maxTxnOps: 128, maxTxnBytes: 10_000 }), StoreLimitError);
  });

  it('fitsOneTxn agrees with the limits check', () => {
    const ops = Array.from({ length: 128 }, (_, i) => put(i));
    assert.equal(fitsOneTxn(ops, { maxTxnOps: 128, maxTxnBytes: 1e9 }), true);
    assert.equal(fitsOneTxn([...ops, put(200)], { maxTxnOps: 128, maxTxnBytes: 1e9 }), false);
    assert.equal(fitsOneTxn(ops, { maxTxnOps: 128, maxTxnBytes: txnBytes({ compare: [], success: ops }) - 1 }), false);
  });
});

describe('chunkWrites', () => {
  it('counts each write\'s compare against the limit on compares', () => {
    const writes = Array.from({ length: 10 }, (_, i) => ({ op: put(i), compare: { key: `/k/${i}`, target: 'modRevision' as const, op: '=' as const, value: 3 } }));
    const fence = [{ key: '/lock', target: 'value' as const, op: '=' as const, value: 'me' }];
    const chunks = chunkWrites(writes, { maxTxnOps: 4, maxTxnBytes: 1e9 }, { compare: fence });
    assert.deepEqual(chunks.map((c) => [c.ops.length, c.compare.length]), [[3, 3], [3, 3], [3, 3], [1, 1]]);
  });
});
