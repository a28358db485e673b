import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { LeaseSession } from './lease-session.js';

describe('LeaseSession', () => {
  it('writes a burst of puts in few txns, each key with its last value, all under the lease', async () => {
    const store = new SqliteStore(':memory:');
    const session = new LeaseSession(store, { ttlSeconds: 30 });
    await session.start();
    const before = await store.revision();
    const writes: Promise<void>[] = [];
    for (let round = 0; round < 3; round++) for (let i = 0; i < 500; i++) writes.push(session.put(`/s/${i}`, `v${round}`));
    await Promise.all(writes);
    const { kvs } = await store.range('/s/');
    assert.equal(kvs.length, 500);
    assert.ok(kvs.every((kv) => kv.value === 'v2' && kv.lease !== 0));
    assert.ok((await store.revision()) - before < 10, 'a burst takes a few txns, not one per write');
    await session.delete('/s/0');
    assert.equal(await store.get('/s/0'), undefined);
    await session.stop();
    assert.equal((await store.range('/s/')).kvs.length, 0, 'stop revokes the lease with its keys');
    await store.close();
  });

  it('rewrites every key under a new lease when the old one is gone', async () => {
    const store = new SqliteStore(':memory:');
    const session = new LeaseSession(store, { ttlSeconds: 30 });
    await session.start();
    await session.put('/k/a', '1');
    const lease = (await store.get('/k/a'))!.lease;
    await store.revoke(lease);
    await session.put('/k/b', '2');
    assert.deepEqual((await store.range('/k/')).kvs.map((kv) => [kv.key, kv.value]), [['/k/a', '1'], ['/k/b', '2']]);
    assert.notEqual((await store.get('/k/b'))!.lease, lease);
    await session.stop();
    await store.close();
  });
});
