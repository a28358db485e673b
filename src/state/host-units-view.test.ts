import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import { storeWith } from '../store/store-with.js';
import { keys } from '../core/keys.js';
import type { DesiredUnit } from '../core/records.js';
import { HostUnitsView } from './host-units-view.js';

const HOST = 'a'.repeat(32);
const OTHER = 'b'.repeat(32);

function unit(service: string, version: number, instance: number, host: string | null, extra: Partial<DesiredUnit> = {}): DesiredUnit {
  return {
    unit: `${service}-${version}-${instance}`,
    service,
    version,
    instance,
    host,
    createdAt: 1,
    spec: { image: 'img', ports: [], env: {}, volumes: [] },
    ...extra,
  } as DesiredUnit;
}

async function put(store: SqliteStore, u: DesiredUnit): Promise<void> {
  await store.put(keys.desiredUnit(u.service, u.unit), JSON.stringify(u));
}

/** waits until the view's callback has been called since `since` (watch events arrive asynchronously) */
async function changed(calls: () => number, since: number): Promise<void> {
  for (let i = 0; i < 200 && calls() === since; i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(calls() > since, 'the view reported a change');
}

/**
 * The real store, with a hand on its watches' onError (what etcd does when a watch falls behind compaction) and
 * its rangeMany replaced.
 */
function withFailingWatches(inner: SqliteStore, rangeMany: Store['rangeMany']): { store: Store; failWatches: Array<(err: Error) => void> } {
  const failWatches: Array<(err: Error) => void> = [];
  const store = storeWith(inner, {
    watch: (prefix, listener, opts) => {
      if (opts?.onError) failWatches.push(opts.onError);
      return inner.watch(prefix, listener, opts);
    },
    rangeMany,
  });
  return { store, failWatches };
}

describe('HostUnitsView', () => {
  it('keeps the committed units placed on its host and follows placements, moves and deletes', async () => {
    const store = new SqliteStore(':memory:');
    await store.put(keys.latest('web'), '1');
    await put(store, unit('web', 1, 1, HOST));
    await put(store, unit('web', 1, 2, OTHER));
    await put(store, unit('web', 1, 3, null, { reason: `host ${HOST} stopped heartbeating; placing it again` }));
    // staged: above the latest committed version, so no reader may see it yet
    await put(store, unit('web', 2, 1, HOST));
    let calls = 0;
    const view = new HostUnitsView({ store, hostId: HOST, onChange: () => calls++, onError: (err) => assert.fail(err) });
    try {
      assert.deepEqual((await view.current()).map((u) => u.unit), ['web-1-1'], 'its own committed unit only (a unit naming the host in a message is not placed there)');

      let seen = calls;
      await put(store, unit('web', 1, 2, HOST));
      await changed(() => calls, seen);
      assert.deepEqual((await view.current()).map((u) => u.unit).sort(), ['web-1-1', 'web-1-2'], 'a unit placed here appears');

      seen = calls;
      await store.put(keys.latest('web'), '2');
      await changed(() => calls, seen);
      assert.deepEqual((await view.current()).map((u) => u.unit).sort(), ['web-1-1', 'web-1-2', 'web-2-1'], 'a commit of the latest version shows its staged unit');

      seen = calls;
      await put(store, unit('web', 1, 1, OTHER));
      await store.delete(keys.desiredUnit('web', 'web-1-2'));
      await changed(() => calls, seen);
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual((await view.current()).map((u) => u.unit), ['web-2-1'], 'units moved away or deleted disappear');

      seen = calls;
      await put(store, unit('api', 1, 1, OTHER));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(calls, seen, "another host's units do not wake this host");
    } finally {
      await view.stop();
      await store.close();
    }
  });

  it('reads everything again after its watch died, and says so', async () => {
    const inner = new SqliteStore(':memory:');
    let reads = 0;
    const { store, failWatches } = withFailingWatches(inner, (prefixes) => {
      reads++;
      return inner.rangeMany(prefixes);
    });
    await inner.put(keys.latest('web'), '1');
    await put(inner, unit('web', 1, 1, HOST));
    const errors: Error[] = [];
    let calls = 0;
    const view = new HostUnitsView({ store, hostId: HOST, onChange: () => calls++, onError: (err) => errors.push(err) });
    try {
      assert.equal((await view.current()).length, 1);
      assert.ok(failWatches.length > 0);
      const seen = calls;
      for (const fail of failWatches.splice(0)) fail(new Error('watch lost'));
      assert.equal(errors.length > 0, true, 'the failure is reported');
      assert.ok(calls > seen, 'and wakes the reconciler, whose pass reads again');
      await put(inner, unit('web', 1, 2, HOST));
      const before = reads;
      assert.deepEqual((await view.current()).map((u) => u.unit).sort(), ['web-1-1', 'web-1-2']);
      assert.equal(reads, before + 1, 'the store is read again');
      await view.current();
      assert.equal(reads, before + 1, 'once: then the watch carries on');
      assert.ok(failWatches.length > 0, 'and it watches again');
    } finally {
      await view.stop();
      await inner.close();
    }
  });

  it('a watch that dies while the view reads leaves it stale: the next use reads again and watches anew', async () => {
    const inner = new SqliteStore(':memory:');
    let reads = 0;
    let failDuringRead = false;
    const { store, failWatches } = withFailingWatches(inner, async (prefixes) => {
      reads++;
      const r = await inner.rangeMany(prefixes);
      // what an agent back from a cut sees: its second watch's compaction error comes during the first one's read
      if (failDuringRead) {
        failDuringRead = false;
        for (const fail of failWatches.splice(0)) fail(new Error('watch lost'));
      }
      return r;
    });
    await inner.put(keys.latest('web'), '1');
    await put(inner, unit('web', 1, 1, HOST));
    const errors: Error[] = [];
    const view = new HostUnitsView({ store, hostId: HOST, onChange: () => {}, onError: (err) => errors.push(err) });
    try {
      failDuringRead = true;
      assert.equal((await view.current()).length, 1);
      assert.ok(errors.length > 0, 'the failure is reported');
      await put(inner, unit('web', 1, 2, HOST));
      assert.deepEqual((await view.current()).map((u) => u.unit).sort(), ['web-1-1', 'web-1-2'], 'read again: the dead watches would never bring the new unit');
      assert.equal(reads, 2);
      await put(inner, unit('web', 1, 3, HOST));
      // SQLite delivers watch events on its next poll
      for (let i = 0; i < 200 && (await view.current()).length < 3; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal((await view.current()).length, 3, 'the new watch brings a later unit');
      assert.equal(reads, 2, 'by watch, without another read');
    } finally {
      await view.stop();
      await inner.close();
    }
  });

  it('tells the units placed here before its first read (they may have a status an earlier agent left) from those placed after', async () => {
    const store = new SqliteStore(':memory:');
    await store.put(keys.latest('web'), '1');
    await put(store, unit('web', 1, 1, HOST));
    await put(store, unit('web', 1, 2, OTHER));
    let calls = 0;
    const view = new HostUnitsView({ store, hostId: HOST, onChange: () => calls++, onError: (err) => assert.fail(err) });
    try {
      assert.equal(view.placedBeforeStart('web-1-1'), true, 'before the first read: assume it may have one');
      await view.current();
      assert.equal(view.placedBeforeStart('web-1-1'), true);
      const seen = calls;
      await put(store, unit('web', 1, 2, HOST));
      await changed(() => calls, seen);
      assert.deepEqual((await view.current()).map((u) => u.unit).sort(), ['web-1-1', 'web-1-2']);
      assert.equal(view.placedBeforeStart('web-1-2'), false, 'placed here while this agent ran');
    } finally {
      await view.stop();
      await store.close();
    }
  });

  it('a stored value that is not a unit\'s JSON is reported with its key and dropped; the view goes on', async () => {
    const store = new SqliteStore(':memory:');
    await store.put(keys.latest('web'), '1');
    await put(store, unit('web', 1, 1, HOST));
    // at the first read: broken JSON naming the host, and JSON that is no object
    await store.put(keys.desiredUnit('web', 'web-1-8'), `{"host":"${HOST}"`);
    await store.put(keys.desiredUnit('web', 'web-1-9'), 'null');
    const errors: Error[] = [];
    let calls = 0;
    const view = new HostUnitsView({ store, hostId: HOST, onChange: () => calls++, onError: (err) => errors.push(err) });
    try {
      assert.deepEqual((await view.current()).map((u) => u.unit), ['web-1-1']);
      assert.equal(errors.length, 1);
      assert.match(errors[0].message, /web-1-8 does not hold JSON/);
      // from the watch: the unit kept here is overwritten with garbage, others with JSON that is no unit
      let seen = calls;
      await store.put(keys.desiredUnit('web', 'web-1-1'), `{not json ${HOST}`);
      for (const value of ['null', '"a string"', '[1,2]', '42', `{"host":"${HOST}"`]) await store.put(keys.desiredUnit('web', 'web-1-3'), value);
      await changed(() => calls, seen);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(await view.current(), [], 'the unit whose value broke is let go');
      assert.equal(errors.length, 3, errors.map((e) => e.message).join('; '));
      assert.match(errors[1].message, /web-1-1 does not hold JSON/);
      // and it still follows the units placed here
      seen = calls;
      await put(store, unit('web', 1, 2, HOST));
      await changed(() => calls, seen);
      assert.deepEqual((await view.current()).map((u) => u.unit), ['web-1-2']);
    } finally {
      await view.stop();
      await store.close();
    }
  });

  it('hears a unit moved away while it was still reading its first list (the router sends a view that is reading everything)', async () => {
    const inner = new SqliteStore(':memory:');
    await inner.put(keys.latest('web'), '1');
    await put(inner, unit('web', 1, 1, HOST));
    // the real store, with the move made between the view's read and its answer: the read saw the unit
    // here, and the event that moves it away comes while the view holds nothing yet
    const store = Object.create(inner) as SqliteStore;
    let moved = false;
    store.rangeMany = async (prefixes) => {
      const read = await inner.rangeMany(prefixes);
      if (!moved) {
        moved = true;
        await put(inner, unit('web', 1, 1, OTHER));
        // the watch delivers the move before the read is answered
        await new Promise((r) => setTimeout(r, 20));
      }
      return read;
    };
    const view = new HostUnitsView({ store, hostId: HOST, onChange: () => {}, onError: (err) => assert.fail(err) });
    try {
      await view.current();
      assert.equal(moved, true);
      for (let i = 0; i < 50 && (await view.current()).length > 0; i++) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual((await view.current()).map((u) => u.unit), [], 'the unit moved to another host is no longer this host\'s');
    } finally {
      await view.stop();
      await inner.close();
    }
  });
});
