import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runStoreConformance } from '../conformance.js';
import { LeaseNotFoundError, StoreClosedError, StoreCompactedError, type WatchEvent } from '../store.js';
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

  it('writes asked for in the same turn share one commit (group commit), each with its own revision', async () => {
    const file = freshFile();
    const store = new SqliteStore(file);
    const walBytes = () => statSync(`${file}-wal`).size;
    try {
      await store.put('/warm', 'x');
      const start = walBytes();
      const together = await Promise.all(Array.from({ length: 50 }, (_, i) => store.put(`/together/${i}`, 'v'.repeat(100))));
      const grouped = walBytes() - start;
      const before = walBytes();
      for (let i = 0; i < 50; i++) await store.put(`/apart/${i}`, 'v'.repeat(100));
      const apart = walBytes() - before;
      // every commit appends the pages it changed to the WAL: 50 commits append them 50 times
      assert.ok(grouped * 5 < apart, `50 writes in one turn appended ${grouped} bytes to the WAL, 50 one after another ${apart}`);
      assert.deepEqual(together, Array.from({ length: 50 }, (_, i) => together[0] + i));
      assert.equal((await store.range('/together/')).kvs.length, 50);
    } finally {
      await store.close();
    }
  });

  it('a write of a group commit that fails is undone alone, and the others are acknowledged', async () => {
    const store = new SqliteStore(freshFile());
    try {
      const lease = await store.grantLease(60);
      await store.revoke(lease.id);
      const [a, gone, b] = await Promise.allSettled([
        store.put('/a', '1'),
        store.txn({ compare: [], success: [{ type: 'put', key: '/c', value: '3' }, { type: 'put', key: '/d', value: '4', lease: lease.id }] }),
        store.put('/b', '2'),
      ]);
      assert.equal(a.status, 'fulfilled');
      assert.equal(b.status, 'fulfilled');
      assert.equal(gone.status, 'rejected');
      assert.ok((gone as PromiseRejectedResult).reason instanceof LeaseNotFoundError);
      // the failed txn took no revision and left nothing, not even its first op
      assert.equal((b as PromiseFulfilledResult<number>).value, (a as PromiseFulfilledResult<number>).value + 1);
      assert.equal(await store.get('/c'), undefined);
      assert.equal((await store.get('/b'))?.value, '2');
    } finally {
      await store.close();
    }
  });

  it('a txn in a group commit compares against the writes made before it in that commit', async () => {
    const store = new SqliteStore(freshFile());
    try {
      const rev = await store.put('/k', 'v0');
      const cas = (value: string) => store.txn({ compare: [{ key: '/k', target: 'modRevision', op: '=', value: rev }], success: [{ type: 'put', key: '/k', value }] });
      const [first, second] = await Promise.all([cas('v1'), cas('v2')]);
      assert.equal(first.succeeded, true);
      assert.equal(second.succeeded, false);
      assert.equal((await store.get('/k'))?.value, 'v1');
    } finally {
      await store.close();
    }
  });

  it('a write asked for before close() and not yet made fails with StoreClosedError', async () => {
    const store = new SqliteStore(freshFile());
    const pending = store.put('/late', 'v');
    await store.close();
    await assert.rejects(pending, StoreClosedError);
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
