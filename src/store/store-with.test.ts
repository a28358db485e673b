import { it } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { storeWith } from './store-with.js';

it('storeWith replaces the members it is given; every other one is the store’s own, bound to it', async () => {
  const raw = new SqliteStore(':memory:');
  try {
    await raw.put('/a', '1');
    const gets: string[] = [];
    const store = storeWith(raw, { get: (key) => (gets.push(key), raw.get(key)), limits: { ...raw.limits, maxTxnOps: 16 } });
    assert.equal((await store.get('/a'))?.value, '1');
    assert.deepEqual(gets, ['/a']);
    assert.equal(store.limits.maxTxnOps, 16);
    // not replaced: the store's own, working when called detached from the proxy
    const { range } = store;
    assert.deepEqual((await range('/')).kvs.map((kv) => kv.key), ['/a']);
    assert.equal(store.name, raw.name);
  } finally {
    await raw.close();
  }
});
