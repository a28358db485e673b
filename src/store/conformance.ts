/**
 * The Store conformance suite: registers node:test blocks that pin down every semantic of the Store
 * interface, to be run against each backend (SQLite now, etcd later). It talks to the backend only
 * through the interface.
 *
 * `open()` must return a new client of the SAME backing data on every call (the same SQLite file,
 * the same etcd cluster): the suite opens several at once and reopens after closing. Every test
 * works under its own random key prefix and only compares revisions relative to what it observed,
 * so the backing data may be shared with earlier runs.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  LeaseNotFoundError,
  StoreClosedError,
  StoreCompactedError,
  StoreLimitError,
  type Store,
  type Watch,
  type WatchEvent,
} from './store.js';
import { chunkOps } from './chunk-ops.js';
import { txnBytes } from './txn-limits.js';

export interface ConformanceOptions {
  /** how long after its TTL a lease's keys may still exist (default 5 s; etcd checks leases every 500 ms) */
  leaseExpirySlackMs?: number;
  /** how long to wait for an event that should come (default 10 s); generous because machines are noisy */
  eventTimeoutMs?: number;
}

export function runStoreConformance(name: string, open: () => Promise<Store>, opts: ConformanceOptions = {}): void {
  const leaseSlackMs = opts.leaseExpirySlackMs ?? 5_000;
  const eventTimeoutMs = opts.eventTimeoutMs ?? 10_000;

  describe(`Store conformance: ${name}`, () => {
    const opened: Store[] = [];
    const watches: Watch[] = [];

    async function openStore(): Promise<Store> {
      const store = await open();
      opened.push(store);
      return store;
    }

    /** A watch that records every listener call, for assertions. */
    /** records a watch's events; with previous values unless told otherwise (most cases check them) */
    async function record(store: Store, prefix: string, fromRevision?: number, prevValues = true): Promise<Recorder> {
      const recorder = new Recorder(eventTimeoutMs);
      const watch = await store.watch(prefix, (events) => recorder.calls.push(events), {
        fromRevision,
        prevValues,
        onError: (err) => recorder.errors.push(err),
      });
      recorder.watch = watch;
      watches.push(watch);
      return recorder;
    }

    afterEach(async () => {
      for (const watch of watches.splice(0)) await watch.cancel();
      for (const store of opened.splice(0)) await store.close();
    });

    describe('get, put and range', () => {
      it('put returns the next revision and sets create/mod revisions and version', async () => {
        const store = await openStore();
        const key = `${prefix()}k`;
        const before = await store.revision();
        const r1 = await store.put(key, 'one');
        assert.equal(r1, before + 1);
        assert.deepEqual(await store.get(key), { key, value: 'one', createRevision: r1, modRevision: r1, version: 1, lease: 0 });
        const r2 = await store.put(key, 'two');
        assert.equal(r2, r1 + 1);
        assert.deepEqual(await store.get(key), { key, value: 'two', createRevision: r1, modRevision: r2, version: 2, lease: 0 });
        assert.equal(await store.revision(), r2);
      });

      it('get of an absent key is undefined', async () => {
        const store = await openStore();
        assert.equal(await store.get(`${prefix()}nothing`), undefined);
      });

      it('keeps values as exact strings, including empty and non-ASCII ones', async () => {
        const store = await openStore();
        const p = prefix();
        const values = ['', ' ', '{"a":1}', 'héllo wörld ☃ 🚀', 'line\nbreak\ttab', 'x'.repeat(100_000)];
        for (const [i, value] of values.entries()) await store.put(`${p}${i}`, value);
        for (const [i, value] of values.entries()) assert.equal((await store.get(`${p}${i}`))?.value, value);
      });

      it('range is a plain string prefix, in key order', async () => {
        const store = await openStore();
        const p = prefix();
        for (const k of ['a/c', 'a/bc', 'a/b/c', 'a', 'a/b', 'a/b/a', 'b']) await store.put(p + k, k);
        const keys = async (q: string) => (await store.range(p + q)).kvs.map((kv) => kv.key.slice(p.length));
        assert.deepEqual(await keys('a/b'), ['a/b', 'a/b/a', 'a/b/c', 'a/bc']);
        assert.deepEqual(await keys('a/b/'), ['a/b/a', 'a/b/c']);
        assert.deepEqual(await keys('a/bc'), ['a/bc']);
        assert.deepEqual(await keys('a/'), ['a/b', 'a/b/a', 'a/b/c', 'a/bc', 'a/c']);
        assert.deepEqual(await keys(''), ['a', 'a/b', 'a/b/a', 'a/b/c', 'a/bc', 'a/c', 'b']);
        assert.deepEqual(await keys('zz'), []);
      });

      it('range reports the current revision and full key values', async () => {
        const store = await openStore();
        const p = prefix();
        const r1 = await store.put(`${p}x`, '1');
        const r2 = await store.put(`${p}x`, '2');
        const result = await store.range(p);
        assert.equal(result.revision, await store.revision());
        assert.ok(result.revision >= r2);
        assert.deepEqual(result.kvs, [{ key: `${p}x`, value: '2', createRevision: r1, modRevision: r2, version: 2, lease: 0 }]);
      });

      it('rangeMany reads several prefixes at one revision, even while writes land between its reads', async () => {
        const store = await openStore();
        const p = prefix();
        // each write moves one token from a to b (a txn): at any one revision, a and b together hold every token
        for (let i = 0; i < 8; i++) await store.put(`${p}a/${i}`, 't');
        let moving = true;
        const mover = (async () => {
          for (let i = 0; i < 8; i++) {
            await store.txn({ compare: [], success: [{ type: 'delete', key: `${p}a/${i}` }, { type: 'put', key: `${p}b/${i}`, value: 't' }] });
          }
          moving = false;
        })();
        while (moving) {
          const { ranges, revision } = await store.rangeMany([`${p}a/`, `${p}b/`, `${p}none/`]);
          assert.equal(ranges[0].length + ranges[1].length, 8, `at revision ${revision} every token is in a or b`);
          assert.deepEqual(ranges[2], []);
          for (const kv of [...ranges[0], ...ranges[1]]) assert.ok(kv.modRevision <= revision, 'nothing newer than the revision it reports');
          // let the writer's turn come (an in-process SQLite read never yields on its own)
          await new Promise((resolve) => setImmediate(resolve));
        }
        await mover;
        const end = await store.rangeMany([`${p}b/`]);
        assert.equal(end.revision, await store.revision());
        assert.equal(end.ranges[0].length, 8);
        assert.deepEqual(await store.rangeMany([]), { ranges: [], revision: await store.revision() });
      });
    });

    describe('delete', () => {
      it('delete resolves to the count and only a real delete advances the revision', async () => {
        const store = await openStore();
        const key = `${prefix()}k`;
        await store.put(key, 'v');
        const before = await store.revision();
        assert.equal(await store.delete(key), 1);
        assert.equal(await store.revision(), before + 1);
        assert.equal(await store.get(key), undefined);
        assert.equal(await store.delete(key), 0);
        assert.equal(await store.revision(), before + 1);
      });

      it('a recreated key starts a new life: new createRevision, version 1', async () => {
        const store = await openStore();
        const key = `${prefix()}k`;
        await store.put(key, 'a');
        await store.put(key, 'b');
        await store.delete(key);
        const r = await store.put(key, 'c');
        assert.deepEqual(await store.get(key), { key, value: 'c', createRevision: r, modRevision: r, version: 1, lease: 0 });
      });

      it('deletePrefix of N keys is one revision with N delete events, in one listener call', async () => {
        const store = await openStore();
        const p = prefix();
        await store.put(`${p}keep`, 'k');
        for (const k of ['d/1', 'd/2', 'd/3']) await store.put(p + k, `v${k}`);
        await store.put(`${p}dx`, 'not under d/');
        const recorder = await record(store, p);
        const before = await store.revision();
        assert.equal(await store.deletePrefix(`${p}d/`), 3);
        assert.equal(await store.revision(), before + 1);
        assert.deepEqual((await store.range(p)).kvs.map((kv) => kv.key), [`${p}dx`, `${p}keep`]);
        await recorder.waitForEvents(3);
        assert.equal(recorder.calls.length, 1);
        assert.deepEqual(recorder.calls[0], ['d/1', 'd/2', 'd/3'].map((k) => ({
          type: 'delete', key: p + k, value: '', revision: before + 1, prevValue: `v${k}`,
        })));
        assert.equal(await store.deletePrefix(`${p}d/`), 0);
        assert.equal(await store.revision(), before + 1);
      });
    });

    describe('txn', () => {
      it('createRevision = 0 means "absent": create-if-absent succeeds once, then the failure branch runs', async () => {
        const store = await openStore();
        const p = prefix();
        const key = `${p}lock`;
        const request = (who: string) => ({
          compare: [{ key, target: 'createRevision' as const, op: '=' as const, value: 0 }],
          success: [{ type: 'put' as const, key, value: who }],
          failure: [{ type: 'put' as const, key: `${p}lost/${who}`, value: 'yes' }],
        });
        const first = await store.txn(request('a'));
        assert.equal(first.succeeded, true);
        assert.equal(first.revision, await store.revision());
        assert.equal((await store.get(key))?.modRevision, first.revision);
        const second = await store.txn(request('b'));
        assert.equal(second.succeeded, false);
        assert.equal(second.revision, first.revision + 1);
        assert.equal((await store.get(key))?.value, 'a');
        assert.equal((await store.get(`${p}lost/b`))?.value, 'yes');
      });

      it('compares modRevision, createRevision and version with every operator', async () => {
        const store = await openStore();
        const key = `${prefix()}k`;
        const created = await store.put(key, 'v1');
        const modified = await store.put(key, 'v2');
        const holds = async (target: 'modRevision' | 'createRevision' | 'version', op: '=' | '!=' | '<' | '>', value: number) =>
          (await store.txn({ compare: [{ key, target, op, value }], success: [] })).succeeded;
        assert.equal(await holds('modRevision', '=', modified), true);
        assert.equal(await holds('modRevision', '=', created), false);
        assert.equal(await holds('modRevision', '!=', created), true);
        assert.equal(await holds('modRevision', '>', created), true);
        assert.equal(await holds('modRevision', '<', modified), false);
        assert.equal(await holds('createRevision', '=', created), true);
        assert.equal(await holds('createRevision', '<', modified), true);
        assert.equal(await holds('createRevision', '=', 0), false);
        assert.equal(await holds('version', '=', 2), true);
        assert.equal(await holds('version', '>', 2), false);
        assert.equal(await holds('version', '<', 3), true);
        assert.equal(await holds('version', '!=', 2), false);
      });

      it('an absent key compares as revisions and version 0, and fails every value comparison', async () => {
        const store = await openStore();
        const key = `${prefix()}absent`;
        const holds = async (compare: Parameters<Store['txn']>[0]['compare'][number]) =>
          (await store.txn({ compare: [compare], success: [] })).succeeded;
        assert.equal(await holds({ key, target: 'modRevision', op: '=', value: 0 }), true);
        assert.equal(await holds({ key, target: 'version', op: '=', value: 0 }), true);
        assert.equal(await holds({ key, target: 'createRevision', op: '>', value: 0 }), false);
        assert.equal(await holds({ key, target: 'value', op: '=', value: '' }), false);
        assert.equal(await holds({ key, target: 'value', op: '!=', value: 'anything' }), false);
      });

      it('compares values, and needs every comparison to hold', async () => {
        const store = await openStore();
        const p = prefix();
        await store.put(`${p}a`, 'x');
        await store.put(`${p}b`, 'y');
        const run = (bValue: string) => store.txn({
          compare: [
            { key: `${p}a`, target: 'value', op: '=', value: 'x' },
            { key: `${p}b`, target: 'value', op: '!=', value: bValue },
          ],
          success: [{ type: 'put', key: `${p}result`, value: 'success' }],
          failure: [{ type: 'put', key: `${p}result`, value: 'failure' }],
        });
        assert.equal((await run('z')).succeeded, true);
        assert.equal((await store.get(`${p}result`))?.value, 'success');
        assert.equal((await run('y')).succeeded, false);
        assert.equal((await store.get(`${p}result`))?.value, 'failure');
      });

      it('a txn with several ops is one revision and one listener call; a txn that writes nothing is none', async () => {
        const store = await openStore();
        const p = prefix();
        await store.put(`${p}old/1`, 'o1');
        await store.put(`${p}gone`, 'g');
        const recorder = await record(store, p);
        const result = await store.txn({
          compare: [],
          success: [
            { type: 'put', key: `${p}x`, value: '1' },
            { type: 'put', key: `${p}y`, value: '2' },
            { type: 'delete', key: `${p}gone` },
            { type: 'deletePrefix', prefix: `${p}old/` },
          ],
        });
        assert.equal(result.succeeded, true);
        assert.equal(await store.revision(), result.revision);
        for (const k of ['x', 'y']) assert.equal((await store.get(p + k))?.modRevision, result.revision);
        assert.equal(await store.get(`${p}gone`), undefined);
        assert.equal(await store.get(`${p}old/1`), undefined);
        await recorder.waitForEvents(4);
        assert.equal(recorder.calls.length, 1);
        assert.deepEqual(recorder.calls[0].map((e) => [e.type, e.key.slice(p.length), e.revision]).sort(), [
          ['delete', 'gone', result.revision], ['delete', 'old/1', result.revision],
          ['put', 'x', result.revision], ['put', 'y', result.revision],
        ]);

        const failed = await store.txn({ compare: [{ key: `${p}x`, target: 'value', op: '=', value: 'nope' }], success: [{ type: 'put', key: `${p}x`, value: 'z' }] });
        assert.deepEqual(failed, { succeeded: false, revision: result.revision });
        assert.equal(await store.revision(), result.revision);
      });

      it('rejects a branch that writes one key twice, and writes nothing', async () => {
        const store = await openStore();
        const p = prefix();
        const before = await store.revision();
        await assert.rejects(store.txn({ compare: [], success: [
          { type: 'put', key: `${p}a`, value: '1' },
          { type: 'put', key: `${p}a`, value: '2' },
        ] }));
        await assert.rejects(store.txn({ compare: [], success: [
          { type: 'put', key: `${p}a/1`, value: '1' },
          { type: 'deletePrefix', prefix: `${p}a/` },
        ] }));
        assert.equal(await store.get(`${p}a`), undefined);
        assert.equal(await store.revision(), before);
      });
    });

    describe('watch', () => {
      it('without fromRevision delivers only later events, with prevValue on overwrite and delete', async () => {
        const store = await openStore();
        const p = prefix();
        await store.put(`${p}k`, 'before');
        const recorder = await record(store, p);
        const r1 = await store.put(`${p}k`, 'after');
        const r2 = await store.put(`${p}new`, 'n');
        assert.equal(await store.delete(`${p}k`), 1);
        const r3 = await store.revision();
        await recorder.waitForEvents(3);
        assert.deepEqual(recorder.events(), [
          { type: 'put', key: `${p}k`, value: 'after', revision: r1, prevValue: 'before' },
          { type: 'put', key: `${p}new`, value: 'n', revision: r2 },
          { type: 'delete', key: `${p}k`, value: '', revision: r3, prevValue: 'after' },
        ]);
      });

      it('without prevValues, events carry no previous value (etcd would read each one from its backend)', async () => {
        const store = await openStore();
        const p = prefix();
        await store.put(`${p}k`, 'before');
        const r0 = await store.revision();
        const plain = await record(store, p, undefined, false);
        const replayed = await record(store, p, r0, false);
        const r1 = await store.put(`${p}k`, 'after');
        assert.equal(await store.delete(`${p}k`), 1);
        const r2 = await store.revision();
        await plain.waitForEvents(2);
        await replayed.waitForEvents(3);
        const want = [
          { type: 'put', key: `${p}k`, value: 'after', revision: r1 },
          { type: 'delete', key: `${p}k`, value: '', revision: r2 },
        ];
        assert.deepEqual(plain.events(), want);
        assert.deepEqual(replayed.events(), [{ type: 'put', key: `${p}k`, value: 'before', revision: r0 }, ...want]);
      });

      it('filters by plain string prefix', async () => {
        const store = await openStore();
        const p = prefix();
        const recorder = await record(store, `${p}a/b`);
        await store.put(`${p}a/c`, 'no');
        await store.put(`${p}a/bc`, 'yes');
        await store.put(`${p}a`, 'no');
        await store.put(`${p}a/b/x`, 'yes');
        await store.put(`${p}a/b`, 'yes');
        await recorder.waitForEvents(3);
        await settle();
        assert.deepEqual(recorder.events().map((e) => e.key), [`${p}a/bc`, `${p}a/b/x`, `${p}a/b`]);
      });

      it('watchers of overlapping prefixes from different revisions each get exactly their own events', async () => {
        const store = await openStore();
        const p = prefix();
        const r1 = await store.put(`${p}a/1`, 'x');
        const r2 = await store.put(`${p}b/1`, 'y');
        const r3 = await store.put(`${p}a/2`, 'z');
        // one is behind (replays from r1), one from r2, one only live; two prefixes nest, one is apart
        const all = await record(store, p, r1, false);
        const a = await record(store, `${p}a/`, r2, false);
        const b = await record(store, `${p}b/`, undefined, false);
        const r4 = await store.txn({ compare: [], success: [{ type: 'put', key: `${p}a/3`, value: 'w' }, { type: 'put', key: `${p}b/2`, value: 'v' }] });
        await all.waitForEvents(5);
        await a.waitForEvents(2);
        await b.waitForEvents(1);
        await settle();
        const keysOf = (r: typeof all) => r.events().map((e) => `${e.key.slice(p.length)}@${e.revision}`);
        assert.deepEqual(keysOf(all), [`a/1@${r1}`, `b/1@${r2}`, `a/2@${r3}`, `a/3@${r4.revision}`, `b/2@${r4.revision}`]);
        assert.deepEqual(keysOf(a), [`a/2@${r3}`, `a/3@${r4.revision}`]);
        assert.deepEqual(keysOf(b), [`b/2@${r4.revision}`]);
        // the txn's two events reach the watcher of both in one call
        assert.deepEqual(all.calls.at(-1)!.map((e) => e.key.slice(p.length)), ['a/3', 'b/2']);
      });

      it('from a past revision replays exactly the missing events, then goes live', async () => {
        const store = await openStore();
        const p = prefix();
        const r1 = await store.put(`${p}1`, 'a');
        const r2 = await store.put(`${p}2`, 'b');
        const r3 = await store.put(`${p}1`, 'c');
        const recorder = await record(store, p, r2);
        await recorder.waitForEvents(2);
        const r4 = await store.put(`${p}3`, 'd');
        await recorder.waitForEvents(3);
        await settle();
        assert.ok(r1 < r2);
        assert.deepEqual(recorder.events(), [
          { type: 'put', key: `${p}2`, value: 'b', revision: r2 },
          { type: 'put', key: `${p}1`, value: 'c', revision: r3, prevValue: 'a' },
          { type: 'put', key: `${p}3`, value: 'd', revision: r4 },
        ]);
      });

      it('a watch opened while writes are streaming misses nothing and repeats nothing', async () => {
        const store = await openStore();
        const p = prefix();
        const start = (await store.revision()) + 1;
        const written: number[] = [];
        const writer = (async () => {
          for (let i = 0; i < 60; i++) {
            written.push(await store.put(`${p}${i}`, String(i)));
            await new Promise((r) => setImmediate(r));
          }
        })();
        while (written.length < 20) await new Promise((r) => setImmediate(r));
        const recorder = await record(store, p, start);
        await writer;
        await recorder.waitForEvents(60);
        await settle();
        assert.deepEqual(recorder.events().map((e) => e.revision), written);
        assert.deepEqual(recorder.events().map((e) => e.value), written.map((_, i) => String(i)));
      });

      it('with concurrent writers on several clients, delivers each event once, in revision order', async () => {
        const stores = [await openStore(), await openStore(), await openStore()];
        const p = prefix();
        const recorder = await record(stores[0], p);
        const perWriter = 40;
        const results = await Promise.all(stores.map(async (store, w) => {
          const revisions: Array<{ key: string; revision: number }> = [];
          for (let i = 0; i < perWriter; i++) {
            const key = `${p}w${w}/${i}`;
            revisions.push({ key, revision: await store.put(key, `${w}:${i}`) });
            // real pauses now and then, so writes land while deliveries are in flight
            if (i % 8 === w) await sleep(5 + w * 7);
          }
          return revisions;
        }));
        const total = stores.length * perWriter;
        await recorder.waitForEvents(total);
        await settle();
        const events = recorder.events();
        assert.equal(events.length, total);
        for (let i = 1; i < events.length; i++) assert.ok(events[i - 1].revision < events[i].revision, 'strictly increasing revisions');
        const byKey = new Map(events.map((e) => [e.key, e.revision]));
        for (const { key, revision } of results.flat()) assert.equal(byKey.get(key), revision, key);
      });

      it('sees writes made through another client of the same data', async () => {
        const watcherStore = await openStore();
        const writerStore = await openStore();
        const p = prefix();
        const recorder = await record(watcherStore, p);
        // let the watcher go idle first, so the write has to reach it as a live event from elsewhere
        await sleep(300);
        const r1 = await writerStore.put(`${p}k`, 'from the other client');
        await recorder.waitForEvents(1);
        await sleep(300);
        const r2 = await writerStore.put(`${p}k`, 'again');
        await recorder.waitForEvents(2);
        assert.deepEqual(recorder.events(), [
          { type: 'put', key: `${p}k`, value: 'from the other client', revision: r1 },
          { type: 'put', key: `${p}k`, value: 'again', revision: r2, prevValue: 'from the other client' },
        ]);
      });

      it('resumes across closing and reopening the store: from the next revision, exactly the missed events', async () => {
        const p = prefix();
        const first = await openStore();
        const early = await record(first, p);
        await first.put(`${p}a`, '1');
        await first.put(`${p}b`, '2');
        await early.waitForEvents(2);
        const lastSeen = early.events().at(-1)!.revision;
        await first.close();

        const meanwhile = await openStore();
        const missed = [await meanwhile.put(`${p}c`, '3'), await meanwhile.put(`${p}a`, '4')];
        assert.equal(await meanwhile.delete(`${p}b`), 1);
        missed.push(await meanwhile.revision());
        await meanwhile.close();

        const reopened = await openStore();
        const resumed = await record(reopened, p, lastSeen + 1);
        await resumed.waitForEvents(3);
        await settle();
        assert.deepEqual(resumed.events().map((e) => [e.type, e.key.slice(p.length), e.value, e.revision]), [
          ['put', 'c', '3', missed[0]],
          ['put', 'a', '4', missed[1]],
          ['delete', 'b', '', missed[2]],
        ]);
      });

      it('a listener that throws ends its watch with onError and does not disturb other watches', async () => {
        const store = await openStore();
        const p = prefix();
        const errors: Error[] = [];
        let badCalls = 0;
        watches.push(
          await store.watch(p, () => {
            badCalls++;
            throw new Error('listener bug');
          }, { onError: (err) => errors.push(err) }),
        );
        const good = await record(store, p);
        await store.put(`${p}a`, '1');
        await store.put(`${p}b`, '2');
        await good.waitForEvents(2);
        assert.equal(badCalls, 1);
        assert.deepEqual(errors.map((e) => e.message), ['listener bug']);
      });

      it('cancel stops delivery', async () => {
        const store = await openStore();
        const p = prefix();
        const recorder = await record(store, p);
        await store.put(`${p}1`, 'a');
        await recorder.waitForEvents(1);
        await recorder.watch!.cancel();
        await store.put(`${p}2`, 'b');
        const other = await record(store, p, (await store.revision()));
        await other.waitForEvents(1);
        await settle();
        assert.equal(recorder.events().length, 1);
      });

      it('a watch from a compacted revision fails with StoreCompactedError; from the compaction revision it works', async () => {
        const store = await openStore();
        const p = prefix();
        await store.put(`${p}1`, 'a');
        const r2 = await store.put(`${p}2`, 'b');
        const r3 = await store.put(`${p}3`, 'c');
        await store.compact(r3);
        const failed = await record(store, p, r2);
        await failed.waitForError();
        assert.ok(failed.errors[0] instanceof StoreCompactedError, String(failed.errors[0]));
        assert.equal(failed.calls.length, 0);
        const ok = await record(store, p, r3);
        await ok.waitForEvents(1);
        assert.deepEqual(ok.events().map((e) => e.revision), [r3]);
        await assert.rejects(store.compact((await store.revision()) + 10));
      });
    });

    describe('leases', () => {
      it('grants leases with distinct ids and at least the asked TTL; a leased key carries the lease id', async () => {
        const store = await openStore();
        const a = await store.grantLease(5);
        const b = await store.grantLease(5);
        assert.notEqual(a.id, b.id);
        assert.ok(a.ttlSeconds >= 5);
        const key = `${prefix()}k`;
        await store.put(key, 'v', { lease: a.id });
        assert.equal((await store.get(key))?.lease, a.id);
        // as in etcd, a put without a lease detaches the key from its lease
        await store.put(key, 'v2');
        assert.equal((await store.get(key))?.lease, 0);
        await store.revoke(a.id);
        await store.revoke(b.id);
        assert.equal((await store.get(key))?.value, 'v2');
      });

      it('put with an unknown lease rejects with LeaseNotFoundError and writes nothing', async () => {
        const store = await openStore();
        const key = `${prefix()}k`;
        const lease = await store.grantLease(5);
        await store.revoke(lease.id);
        const before = await store.revision();
        await assert.rejects(store.put(key, 'v', { lease: lease.id }), LeaseNotFoundError);
        await assert.rejects(store.txn({ compare: [], success: [{ type: 'put', key, value: 'v', lease: lease.id }] }), LeaseNotFoundError);
        assert.equal(await store.get(key), undefined);
        assert.equal(await store.revision(), before);
      });

      it('expiry deletes the lease\'s keys with delete events, and the lease is gone', async () => {
        const store = await openStore();
        const p = prefix();
        const lease = await store.grantLease(1);
        await store.put(`${p}leased/1`, 'a', { lease: lease.id });
        await store.put(`${p}leased/2`, 'b', { lease: lease.id });
        await store.put(`${p}plain`, 'c');
        const recorder = await record(store, p);
        await waitUntil(async () => (await store.range(p)).kvs.length === 1, lease.ttlSeconds * 1000 + leaseSlackMs, 'leased keys to expire');
        assert.deepEqual((await store.range(p)).kvs.map((kv) => kv.key), [`${p}plain`]);
        await recorder.waitForEvents(2);
        const deletes = recorder.events();
        assert.deepEqual(deletes.map((e) => [e.type, e.key, e.prevValue]), [
          ['delete', `${p}leased/1`, 'a'],
          ['delete', `${p}leased/2`, 'b'],
        ]);
        assert.equal(deletes[0].revision, deletes[1].revision, 'one lease expiry is one revision');
        assert.equal(await store.keepAlive(lease.id), false);
        await assert.rejects(store.put(`${p}late`, 'x', { lease: lease.id }), LeaseNotFoundError);
      });

      it('keepAlive keeps a lease and its keys past the TTL', async () => {
        const store = await openStore();
        const key = `${prefix()}k`;
        const lease = await store.grantLease(1);
        await store.put(key, 'alive', { lease: lease.id });
        const until = Date.now() + lease.ttlSeconds * 1000 * 3;
        while (Date.now() < until) {
          assert.equal(await store.keepAlive(lease.id), true);
          assert.equal((await store.get(key))?.value, 'alive');
          await sleep(200);
        }
        await store.revoke(lease.id);
      });

      it('revoke deletes the keys at once, in one revision, with delete events; revoking again is harmless', async () => {
        const store = await openStore();
        const p = prefix();
        const lease = await store.grantLease(60);
        await store.put(`${p}1`, 'a', { lease: lease.id });
        await store.put(`${p}2`, 'b', { lease: lease.id });
        const recorder = await record(store, p);
        const before = await store.revision();
        await store.revoke(lease.id);
        assert.equal(await store.revision(), before + 1);
        assert.deepEqual((await store.range(p)).kvs, []);
        await recorder.waitForEvents(2);
        assert.deepEqual(recorder.calls, [[
          { type: 'delete', key: `${p}1`, value: '', revision: before + 1, prevValue: 'a' },
          { type: 'delete', key: `${p}2`, value: '', revision: before + 1, prevValue: 'b' },
        ]]);
        assert.equal(await store.keepAlive(lease.id), false);
        await store.revoke(lease.id);
        assert.equal(await store.revision(), before + 1);
      });

      it('a lease granted through one client is kept alive, used and revoked through another', async () => {
        const a = await openStore();
        const b = await openStore();
        const key = `${prefix()}k`;
        const lease = await a.grantLease(30);
        await b.put(key, 'v', { lease: lease.id });
        assert.equal(await b.keepAlive(lease.id), true);
        await b.revoke(lease.id);
        assert.equal(await a.get(key), undefined);
      });
    });

    describe('limits', () => {
      it('a txn of exactly maxTxnOps ops succeeds; one more op fails with StoreLimitError and writes nothing', async () => {
        const store = await openStore();
        const p = prefix();
        const n = store.limits.maxTxnOps;
        const ops = Array.from({ length: n }, (_, i) => ({ type: 'put' as const, key: `${p}${i}`, value: 'v' }));
        assert.equal((await store.txn({ compare: [], success: ops })).succeeded, true);
        assert.equal((await store.range(p)).kvs.length, n);
        const q = prefix();
        const over = Array.from({ length: n + 1 }, (_, i) => ({ type: 'put' as const, key: `${q}${i}`, value: 'v' }));
        await assert.rejects(store.txn({ compare: [], success: over }), (err: unknown) => err instanceof StoreLimitError && err.code === 'TXN_TOO_MANY_OPS' && /split it/.test(err.message));
        assert.equal((await store.range(q)).kvs.length, 0);
      });

      it('a txn of exactly maxTxnBytes succeeds; one byte more fails with StoreLimitError, as does such a put', async () => {
        const store = await openStore();
        const key = `${prefix()}big`;
        const empty = txnBytes({ compare: [], success: [{ type: 'put', key, value: '' }] });
        const value = 'x'.repeat(store.limits.maxTxnBytes - empty);
        assert.equal((await store.txn({ compare: [], success: [{ type: 'put', key, value }] })).succeeded, true);
        assert.equal((await store.get(key))?.value.length, value.length);
        const tooBig = `${value}y`;
        const isTooLarge = (err: unknown) => err instanceof StoreLimitError && err.code === 'TXN_TOO_LARGE';
        await assert.rejects(store.txn({ compare: [], success: [{ type: 'put', key, value: tooBig }] }), isTooLarge);
        await assert.rejects(store.put(key, tooBig), isTooLarge);
        assert.equal((await store.get(key))?.value.length, value.length, 'the too-large writes changed nothing');
      });

      it('1000 unit-sized values written in chunks that fit round-trip exactly', async () => {
        const store = await openStore();
        const p = prefix();
        const value = (i: number) => JSON.stringify({ unit: `svc-1-${i}`, env: { BLOB: 'e'.repeat(900) }, i });
        const ops = Array.from({ length: 1000 }, (_, i) => ({ type: 'put' as const, key: `${p}${String(i).padStart(4, '0')}`, value: value(i) }));
        const guard = [{ key: `${p}guard`, target: 'createRevision' as const, op: '=' as const, value: 0 }];
        for (const chunk of chunkOps(ops, store.limits, { compare: guard })) {
          assert.equal((await store.txn({ compare: guard, success: chunk })).succeeded, true);
        }
        const { kvs } = await store.range(p);
        assert.equal(kvs.length, 1000);
        kvs.forEach((kv, i) => assert.equal(kv.value, value(i)));
      });
    });

    describe('input', () => {
      it('rejects bad input with messages that say what to fix', async () => {
        const store = await openStore();
        const p = prefix();
        await assert.rejects(store.put('', 'v'), /non-empty string key/);
        await assert.rejects(store.put(`${p}k`, 42 as unknown as string), /must be a string/);
        await assert.rejects(store.grantLease(0.5), /whole number of seconds/);
        await assert.rejects(store.watch(p, () => {}, { fromRevision: 0 }), /fromRevision/);
        await assert.rejects(store.put(`${p}k`, 'v', { lease: 424242 }), /lease 424242 not found/);
        assert.equal(await store.get(`${p}k`), undefined, 'nothing was written');
      });
    });

    describe('close', () => {
      it('operations after close reject with StoreClosedError; close twice is fine', async () => {
        const store = await openStore();
        await store.close();
        await store.close();
        await assert.rejects(store.get('/x'), StoreClosedError);
        await assert.rejects(store.put('/x', 'y'), StoreClosedError);
        await assert.rejects(store.range('/'), StoreClosedError);
        await assert.rejects(store.watch('/', () => {}), StoreClosedError);
        await assert.rejects(store.grantLease(5), StoreClosedError);
        await assert.rejects(store.revision(), StoreClosedError);
      });

      it('close ends watches: no listener call after it', async () => {
        const watching = await openStore();
        const writer = await openStore();
        const p = prefix();
        const recorder = await record(watching, p);
        await writer.put(`${p}1`, 'a');
        await recorder.waitForEvents(1);
        await watching.close();
        await writer.put(`${p}2`, 'b');
        await sleep(500);
        assert.equal(recorder.events().length, 1);
      });
    });
  });
}

class Recorder {
  readonly calls: WatchEvent[][] = [];
  readonly errors: Error[] = [];
  watch: Watch | undefined;

  constructor(private readonly timeoutMs: number) {}

  events(): WatchEvent[] {
    return this.calls.flat();
  }

  async waitForEvents(count: number): Promise<void> {
    await waitUntil(() => this.events().length >= count || this.errors.length > 0, this.timeoutMs, `${count} watch events`);
    if (this.errors.length > 0) throw this.errors[0];
  }

  async waitForError(): Promise<void> {
    await waitUntil(() => this.errors.length > 0, this.timeoutMs, 'a watch error');
  }
}

function prefix(): string {
  return `/conformance/${randomUUID()}/`;
}

/** Gives a backend time to deliver anything it should not (duplicates, stray events) before asserting. */
function settle(): Promise<void> {
  return sleep(300);
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
