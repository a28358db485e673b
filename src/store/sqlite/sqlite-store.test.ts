import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runStoreConformance } from '../conformance.js';
import { StoreCompactedError, type WatchEvent } from '../store.js';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'paz-sqlite-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const sharedFile = join(dir, 'conformance', 'store.db');
runStoreConformance('sqlite', async () => new SqliteStore(sharedFile));

let fileCounter = 0;
function freshFile(): string {
  return join(dir, `store-${++fileCounter}.db`);
}

async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('SqliteStore specifics', () => {
  it('names itself after the absolute file path and creates missing directories', async () => {
    const file = join(dir, 'nested', 'deeper', 'x.db');
    const store = new SqliteStore(file);
    try {
      assert.equal(store.name, `sqlite:${file}`);
      assert.equal(await store.revision(), 0);
    } finally {
      await store.close();
    }
  });

  it('puts the file in WAL mode', async () => {
    const file = freshFile();
    const store = new SqliteStore(file);
    await store.put('/k', 'v');
    const db = new Database(file, { readonly: true });
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
      await store.close();
    }
  });

  it('keeps revisions, values, leases and the compaction point across reopening', async () => {
    const file = freshFile();
    const first = new SqliteStore(file);
    const lease = await first.grantLease(60);
    await first.put('/a', '1');
    const r = await first.put('/b', '2', { lease: lease.id });
    await first.compact(2);
    await first.close();
    const second = new SqliteStore(file);
    try {
      assert.equal(await second.revision(), r);
      assert.deepEqual(await second.get('/b'), { key: '/b', value: '2', createRevision: r, modRevision: r, version: 1, lease: lease.id });
      assert.equal(await second.keepAlive(lease.id), true);
      const errors: Error[] = [];
      await second.watch('/', () => {}, { fromRevision: 1, onError: (err) => errors.push(err) });
      await waitUntil(() => errors.length > 0, 'compaction error');
      assert.ok(errors[0] instanceof StoreCompactedError);
    } finally {
      await second.close();
    }
  });

  it('compacts the log in the background, keeping the last retainRevisions revisions', async () => {
    const store = new SqliteStore(freshFile(), { retainRevisions: 5, compactIntervalMs: 20 });
    try {
      for (let i = 0; i < 20; i++) await store.put(`/k/${i}`, String(i));
      const errors: Error[] = [];
      await waitUntil(async () => {
        const watch = await store.watch('/', () => {}, { fromRevision: 15, onError: (err) => errors.push(err) });
        await new Promise((r) => setTimeout(r, 30));
        await watch.cancel();
        return errors.length > 0;
      }, 'revision 15 to be compacted');
      assert.ok(errors[0] instanceof StoreCompactedError);
      const seen: WatchEvent[] = [];
      await store.watch('/', (events) => seen.push(...events), { fromRevision: 16, onError: (err) => errors.push(err) });
      await waitUntil(() => seen.length === 5, 'the 5 retained revisions');
      assert.deepEqual(seen.map((e) => e.revision), [16, 17, 18, 19, 20]);
      assert.equal(errors.length, 1);
    } finally {
      await store.close();
    }
  });

  it('background compaction keeps what a local watch has not received yet', async () => {
    const file = freshFile();
    const store = new SqliteStore(file, { retainRevisions: 2, compactIntervalMs: 20 });
    // probes come from another client, whose watches do not hold back this one's compactor
    const prober = new SqliteStore(file, { compactIntervalMs: 600_000 });
    try {
      const seen: WatchEvent[] = [];
      const errors: Error[] = [];
      // a watch from revision 1 whose first delivery pass has not run yet when the compactor looks
      await store.watch('/', (events) => seen.push(...events), { fromRevision: 1, onError: (err) => errors.push(err) });
      for (let i = 0; i < 10; i++) await store.put(`/k/${i}`, String(i));
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100); // let the compactor's timer come due first
      await waitUntil(() => seen.length === 10 || errors.length > 0, 'all 10 events');
      assert.deepEqual(errors, []);
      assert.deepEqual(seen.map((e) => e.revision), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      // once delivered, the log is trimmed to the retention window
      await waitUntil(async () => {
        const failed: Error[] = [];
        const probe = await prober.watch('/', () => {}, { fromRevision: 8, onError: (err) => failed.push(err) });
        await new Promise((r) => setTimeout(r, 30));
        await probe.cancel();
        return failed.length > 0;
      }, 'revision 8 to be compacted');
    } finally {
      await prober.close();
      await store.close();
    }
  });

  it('a watch that falls behind the compaction point gets StoreCompactedError instead of a gap', async () => {
    const file = freshFile();
    // the watcher's store never polls, so the other client compacts past its cursor before it looks
    const watcher = new SqliteStore(file, { pollIntervalMs: 60_000 });
    const writer = new SqliteStore(file);
    try {
      const errors: Error[] = [];
      const seen: WatchEvent[] = [];
      await watcher.watch('/', (events) => seen.push(...events), { onError: (err) => errors.push(err) });
      await new Promise((r) => setTimeout(r, 50));
      for (let i = 0; i < 5; i++) await writer.put(`/k/${i}`, String(i));
      await writer.compact(5);
      await watcher.put('/wake', 'up'); // our own write starts a delivery pass
      await waitUntil(() => errors.length > 0, 'compaction error');
      assert.ok(errors[0] instanceof StoreCompactedError);
      assert.deepEqual(seen, []);
    } finally {
      await watcher.close();
      await writer.close();
    }
  });

  it('a listener may write to the store; its write is delivered after the current event', async () => {
    const store = new SqliteStore(freshFile());
    try {
      const seen: string[] = [];
      await store.watch('/', (events) => {
        for (const event of events) {
          seen.push(event.key);
          if (event.key === '/ping') void store.put('/pong', 'x');
        }
      });
      await store.put('/ping', 'x');
      await waitUntil(() => seen.length === 2, 'ping and pong');
      assert.deepEqual(seen, ['/ping', '/pong']);
    } finally {
      await store.close();
    }
  });

  it('expired leases are swept by another client when the granting one is gone', async () => {
    const file = freshFile();
    const granting = new SqliteStore(file);
    const lease = await granting.grantLease(1);
    await granting.put('/leased', 'v', { lease: lease.id });
    await granting.close();
    const other = new SqliteStore(file);
    try {
      const seen: WatchEvent[] = [];
      await other.watch('/', (events) => seen.push(...events), { fromRevision: 1 });
      await waitUntil(() => seen.length === 2, 'put and expiry delete');
      assert.deepEqual(seen.map((e) => e.type), ['put', 'delete']);
      assert.equal(await other.get('/leased'), undefined);
    } finally {
      await other.close();
    }
  });

  it('refuses a file written by a newer schema', async () => {
    const file = freshFile();
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    assert.throws(() => new SqliteStore(file), /schema version 99/);
  });
});

describe('SqliteStore opened read-only (paz backup, paz kv)', () => {
  it('reads what a writer wrote, refuses every write in words, and never makes a file', async () => {
    const file = join(dir, 'read-only.db');
    const writer = new SqliteStore(file);
    const reader = new SqliteStore(file, { readOnly: true });
    try {
      await writer.put('/paz/a', '1');
      assert.equal((await reader.get('/paz/a'))?.value, '1');
      assert.equal((await reader.rangeMany(['/paz/'])).revision, await writer.revision());
      for (const write of [() => reader.put('/paz/b', '2'), () => reader.delete('/paz/a'), () => reader.txn({ compare: [], success: [] }), () => reader.grantLease(5), () => reader.compact(1)]) {
        await assert.rejects(write, /is open read-only: nothing can be written through it/);
      }
      assert.equal((await writer.get('/paz/b')), undefined);
    } finally {
      await reader.close();
      await writer.close();
    }
    assert.throws(() => new SqliteStore(join(dir, 'none', 'x.db'), { readOnly: true }), /does not exist: there is no Paz store there/);
    assert.throws(() => readdirSync(join(dir, 'none')), /ENOENT/, 'no directory was made');
    const empty = join(dir, 'empty.db');
    new Database(empty).close();
    assert.throws(() => new SqliteStore(empty, { readOnly: true }), /is not a Paz store/);
  });
});
