import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getJson, getJsonEntry, putJson, rangeJson } from './json.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'paz-store-json-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('JSON helpers', () => {
  it('round-trip values with their revisions', async () => {
    const store = new SqliteStore(join(dir, 'json.db'));
    try {
      const revision = await putJson(store, '/svc/a', { image: 'nginx', ports: [80] });
      await putJson(store, '/svc/b', 'just a string');
      assert.deepEqual(await getJson(store, '/svc/a'), { image: 'nginx', ports: [80] });
      assert.equal(await getJson(store, '/svc/none'), undefined);
      assert.equal((await getJsonEntry(store, '/svc/a'))?.kv.modRevision, revision);
      const { entries } = await rangeJson(store, '/svc/');
      assert.deepEqual(entries.map((e) => [e.key, e.value]), [['/svc/a', { image: 'nginx', ports: [80] }], ['/svc/b', 'just a string']]);
    } finally {
      await store.close();
    }
  });

  it('name the key that holds bad JSON, and refuse values JSON cannot hold', async () => {
    const store = new SqliteStore(join(dir, 'bad.db'));
    try {
      await store.put('/bad', '{not json');
      await assert.rejects(getJson(store, '/bad'), /store key \/bad does not hold JSON/);
      assert.throws(() => putJson(store, '/u', undefined), /cannot store undefined/);
    } finally {
      await store.close();
    }
  });
});
