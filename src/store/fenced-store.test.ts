import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FencedStore, NotLeaderError, describeOps, fenceCompare, fencedLimits, fencedTxn } from './fenced-store.js';
import { campaign, electionKey } from './election.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'paz-fenced-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('fenced txns (pure)', () => {
  it('adds the fence to the compares and keeps the success branch', () => {
    const fence = fenceCompare('/paz/elections/control', 7);
    assert.deepEqual(fence, { key: '/paz/elections/control', target: 'createRevision', op: '=', value: 7 });
    const req = { compare: [{ key: '/a', target: 'modRevision' as const, op: '=' as const, value: 3 }], success: [{ type: 'put' as const, key: '/a', value: 'x' }] };
    assert.deepEqual(fencedTxn(req, fence), { compare: [...req.compare, fence], success: req.success });
  });

  it('refuses a failure branch, which would write once the term is over', () => {
    assert.throws(() => fencedTxn({ compare: [], success: [], failure: [{ type: 'delete', key: '/a' }] }, fenceCompare('/k', 1)), /failure branch/);
  });

  it('names what a refused write would have done, the first few ops of a long txn and how many more', () => {
    assert.equal(describeOps([{ type: 'put', key: '/a', value: 'x' }, { type: 'delete', key: '/b' }, { type: 'deletePrefix', prefix: '/c/' }]), 'put /a, delete /b, delete /c/*');
    const many = Array.from({ length: 10 }, (_, i) => ({ type: 'put' as const, key: `/u/${i}`, value: '' }));
    assert.equal(describeOps(many), 'put /u/0, put /u/1, put /u/2, put /u/3 and 6 more');
    assert.match(new NotLeaderError('/paz/elections/control', 4, many.slice(0, 1)).message, /term that began at revision 4 is over\): the write was not made \(put \/u\/0\)$/);
  });

  it('leaves one compare and the fence key\'s bytes to the caller', () => {
    const l = fencedLimits({ maxTxnOps: 128, maxTxnBytes: 1000 }, '/paz/elections/control');
    assert.equal(l.maxTxnOps, 127);
    assert.ok(l.maxTxnBytes < 1000 - '/paz/elections/control'.length);
  });
});

describe('a FencedStore on a real store', () => {
  it('writes while the term lasts, and nothing once the lease is gone, even from the same process', async () => {
    const store = new SqliteStore(join(dir, 'a.db'));
    try {
      const election = await campaign(store, 'control', 'a', 2, { onError: () => {} });
      assert.ok(election.isLeader());
      const term = election.term();
      assert.ok(term !== undefined && term > 0);
      const fenced = new FencedStore(store, electionKey('control'), term);
      await fenced.put('/x', '1');
      assert.equal((await store.get('/x'))?.value, '1');
      // a caller's failing compare is an ordinary "not succeeded"
      const res = await fenced.txn({ compare: [{ key: '/x', target: 'value', op: '=', value: 'other' }], success: [{ type: 'put', key: '/x', value: '2' }] });
      assert.equal(res.succeeded, false);
      assert.equal(await fenced.delete('/x'), 1);
      assert.equal(await store.get('/x'), undefined);

      // the term ends (here: the key's lease revoked by resigning; in a partition: expired in the store)
      await election.resign();
      await assert.rejects(fenced.put('/x', 'late'), NotLeaderError);
      await assert.rejects(fenced.txn({ compare: [], success: [{ type: 'put', key: '/y', value: 'late' }] }), (err: Error) => err instanceof NotLeaderError && err.message.endsWith('(put /y)'));
      assert.equal(await store.get('/x'), undefined);
      assert.equal(await store.get('/y'), undefined);

      // a new term of the same candidate does not revive the old one's writes
      const again = await campaign(store, 'control', 'a', 2, { onError: () => {} });
      assert.ok(again.isLeader());
      assert.notEqual(again.term(), term);
      await assert.rejects(fenced.put('/x', 'stale'), NotLeaderError);
      await new FencedStore(store, electionKey('control'), again.term()!).put('/x', 'fresh');
      assert.equal((await store.get('/x'))?.value, 'fresh');
      await again.resign();
    } finally {
      await store.close();
    }
  });
});
