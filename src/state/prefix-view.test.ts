import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store, TxnOp } from '../store/store.js';
import { storeWith } from '../store/store-with.js';
import { keys } from '../core/keys.js';
import type { DeployRecord, DesiredUnit } from '../core/records.js';
import { normalizeCreate } from '../core/service-spec.js';
import { planDeploy } from '../core/deploy-plan.js';
import { PrefixView } from './prefix-view.js';
import { CommittedUnitsView } from './committed-units-view.js';

/** waits until `check` holds (watch events arrive asynchronously) */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** a store whose ranges are counted, to show what a view reads */
function counting(store: Store): { store: Store; ranges: string[] } {
  const ranges: string[] = [];
  return {
    ranges,
    store: storeWith(store, { range: (prefix) => (ranges.push(prefix), store.range(prefix)) }),
  };
}

describe('PrefixView', () => {
  it('reads once, then follows puts and deletes with their revisions', async () => {
    const raw = new SqliteStore(':memory:');
    const { store, ranges } = counting(raw);
    await raw.put('/p/a', '{"n":1}');
    await raw.put('/other', '{"n":0}');
    const view = new PrefixView<{ n: number }>({ store, prefix: '/p/', onError: (err) => assert.fail(err) });
    try {
      const first = await view.entries();
      assert.deepEqual([...first.keys()], ['/p/a']);
      const rb = await raw.put('/p/b', '{"n":2}');
      const ra = await raw.put('/p/a', '{"n":3}');
      await raw.delete('/p/b');
      await eventually(async () => (await view.entries()).get('/p/a')?.value.n === 3 && !(await view.entries()).has('/p/b'), 'the put and the delete');
      assert.ok(rb < ra);
      assert.equal((await view.entries()).get('/p/a')?.modRevision, ra, 'the revision a compare-and-swap needs');
      assert.equal((await raw.get('/p/a'))?.modRevision, ra);
      assert.deepEqual(ranges, ['/p/'], 'one read, whatever changed after it');
    } finally {
      await view.stop();
      await raw.close();
    }
  });

  it("wrote() makes the caller's own txn the view's at once; the watch's late copies of older events do not undo it", async () => {
    const raw = new SqliteStore(':memory:');
    // a store whose watch deliveries wait until released, one batch at a time: a watch that lags behind
    const held: Array<() => void> = [];
    const store = storeWith(raw, { watch: (prefix, listener, opts) => raw.watch(prefix, (events) => held.push(() => listener(events)), opts) });
    const view = new PrefixView<number>({ store, prefix: '/p/', onError: (err) => assert.fail(err) });
    const release = async (n: number) => {
      await eventually(async () => held.length >= n, `${n} held batches`);
      for (const deliver of held.splice(0, n)) deliver();
    };
    try {
      await view.entries();
      const put: TxnOp[] = [{ type: 'put', key: '/p/mine', value: '7' }, { type: 'put', key: '/q/other', value: '1' }];
      const r1 = (await raw.txn({ compare: [], success: put })).revision;
      view.wrote(put, r1);
      assert.deepEqual((await view.entries()).get('/p/mine'), { key: '/p/mine', value: 7, modRevision: r1 }, 'known before the watch brings it');
      assert.equal((await view.entries()).has('/q/other'), false, 'only keys under the prefix');
      await release(1);
      assert.equal((await view.entries()).get('/p/mine')?.modRevision, r1, 'its own event changes nothing');

      // someone else's put the watch has not delivered yet, then the caller deletes the key
      const r2 = await raw.put('/p/theirs', '1');
      const del: TxnOp[] = [{ type: 'delete', key: '/p/theirs' }];
      const r3 = (await raw.txn({ compare: [], success: del })).revision;
      view.wrote(del, r3);
      assert.equal((await view.entries()).has('/p/theirs'), false);
      await release(1);
      assert.equal((await view.entries()).has('/p/theirs'), false, `the put at ${r2}, delivered after the delete at ${r3}, is old news`);
      await release(1);
      assert.equal((await view.entries()).has('/p/theirs'), false);
      // a later put of the key is news again
      const r4 = await raw.put('/p/theirs', '2');
      await release(1);
      assert.deepEqual((await view.entries()).get('/p/theirs'), { key: '/p/theirs', value: 2, modRevision: r4 });
      const wipe: TxnOp[] = [{ type: 'deletePrefix', prefix: '/p/' }];
      const r5 = (await raw.txn({ compare: [], success: wipe })).revision;
      view.wrote(wipe, r5);
      assert.equal((await view.entries()).size, 0, 'a deletePrefix of its own empties the view at once');
    } finally {
      await view.stop();
      await raw.close();
    }
  });

  it('a watch that dies while the view reads leaves it stale: it reads again and watches anew', async () => {
    const inner = new SqliteStore(':memory:');
    const failWatches: Array<(err: Error) => void> = [];
    let reads = 0;
    const store = storeWith(inner, {
      watch: (prefix, listener, opts) => {
        if (opts?.onError) failWatches.push(opts.onError);
        return inner.watch(prefix, listener, opts);
      },
      range: async (prefix) => {
        const r = await inner.range(prefix);
        // the first read's watch dies before the read is over (etcd: its compaction error comes meanwhile)
        if (reads++ === 0) for (const fail of failWatches.splice(0)) fail(new Error('watch lost'));
        return r;
      },
    });
    await inner.put('/p/a', '1');
    const errors: Error[] = [];
    const view = new PrefixView<number>({ store, prefix: '/p/', onError: (err) => errors.push(err) });
    try {
      assert.deepEqual([...(await view.entries()).keys()], ['/p/a']);
      assert.equal(errors.length, 1, 'the failure is reported');
      assert.equal(reads, 2, 'and the view read again, under a new watch');
      await inner.put('/p/b', '2');
      for (let i = 0; i < 200 && !(await view.entries()).has('/p/b'); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok((await view.entries()).has('/p/b'), 'a later change comes by the new watch');
      assert.equal(reads, 2, 'without another read');
    } finally {
      await view.stop();
      await inner.close();
    }
  });

  it('leaves out a value that is not JSON, and says so', async () => {
    const store = new SqliteStore(':memory:');
    await store.put('/p/bad', '{nope');
    await store.put('/p/good', '1');
    const errors: Error[] = [];
    const view = new PrefixView<number>({ store, prefix: '/p/', onError: (err) => errors.push(err) });
    try {
      assert.deepEqual([...(await view.entries()).keys()], ['/p/good']);
      assert.match(errors[0]?.message ?? '', /\/p\/bad does not hold JSON/);
    } finally {
      await view.stop();
      await store.close();
    }
  });

  it('a reread merges with newer events: a key changed after the read keeps its newer value', async () => {
    const store = new SqliteStore(':memory:');
    await store.put('/p/x/1', '1');
    await store.put('/p/x/2', '2');
    const view = new PrefixView<number>({ store, prefix: '/p/', onError: (err) => assert.fail(err) });
    try {
      await view.entries();
      // a write that lands while the reread is in flight: the read may or may not show it, the view ends on it
      const reread = view.reread('/p/x/');
      await store.put('/p/x/1', '10');
      await store.delete('/p/x/2');
      await reread;
      await eventually(async () => (await view.entries()).get('/p/x/1')?.value === 10 && !(await view.entries()).has('/p/x/2'), 'the newer put and delete');
      await view.reread('/p/x/');
      const now = await view.entries();
      assert.equal(now.get('/p/x/1')?.value, 10);
      assert.equal(now.has('/p/x/2'), false);
    } finally {
      await view.stop();
      await store.close();
    }
  });
});

/** the deploy record a deploy of `count` instances commits (core/deploy-plan.ts) */
function record(service: string, version: number, count: number): DeployRecord {
  const doc = normalizeCreate({ name: service, dockerRepository: `team/${service}`, numInstances: count }, 1);
  return planDeploy({ service: doc, latestVersion: version - 1, image: `team/${service}`, trigger: { source: 'api' }, now: 1 }).record;
}

function unit(service: string, version: number, instance: number): DesiredUnit {
  return { unit: `${service}-${version}-${instance}`, service, version, instance, host: null, createdAt: 1, spec: { image: 'img', ports: [], env: {}, volumes: [] } } as unknown as DesiredUnit;
}

describe('CommittedUnitsView', () => {
  it('shows a staged version only once its commit is seen, and then all of it', async () => {
    const store = new SqliteStore(':memory:');
    const put = (u: DesiredUnit) => store.put(keys.desiredUnit(u.service, u.unit), JSON.stringify(u));
    await store.put(keys.latest('web'), '1');
    await put(unit('web', 1, 1));
    const view = new CommittedUnitsView(store, (err) => assert.fail(err));
    try {
      assert.deepEqual((await view.committed()).entries.map((e) => e.value.unit), ['web-1-1']);
      for (let i = 1; i <= 300; i++) await put(unit('web', 2, i));
      // staged: not committed yet, so not there
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual((await view.committed()).entries.map((e) => e.value.unit), ['web-1-1']);
      await store.put(keys.latest('web'), '2');
      await eventually(async () => (await view.committed()).entries.length > 1, 'the commit');
      assert.equal((await view.committed()).entries.length, 301, 'every unit of the committed version at once');
      assert.equal((await view.committed()).latest.get('web'), 2, 'with the latest version that decided it');
      await store.delete(keys.latest('web'));
      await eventually(async () => (await view.committed()).entries.length === 0, 'a service without a latest version has no committed units');
    } finally {
      await view.stop();
      await store.close();
    }
  });

  it('sees every unit of a commit even when the latest version is heard before its units', async () => {
    const raw = new SqliteStore(':memory:');
    // the unit watch hears nothing: only the reread on the commit can show the version's units
    const store = storeWith(raw, { watch: (prefix, listener, opts) => raw.watch(prefix, prefix === keys.desiredUnitsPrefix() ? () => undefined : listener, opts) });
    const view = new CommittedUnitsView(store, (err) => assert.fail(err));
    try {
      assert.deepEqual((await view.committed()).entries, []);
      for (let i = 1; i <= 5; i++) await raw.put(keys.desiredUnit('api', `api-1-${i}`), JSON.stringify(unit('api', 1, i)));
      // the commit, as a deploy writes it: the latest version and the record of what was deployed
      await raw.txn({ compare: [], success: [{ type: 'put', key: keys.latest('api'), value: '1' }, { type: 'put', key: keys.deploy('api', 1), value: JSON.stringify(record('api', 1, 5)) }] });
      await eventually(async () => (await view.committed()).entries.length > 0, 'the commit');
      assert.equal((await view.committed()).entries.length, 5);
    } finally {
      await view.stop();
      await raw.close();
    }
  });

  it('a commit whose units all come by the watch is not read again; one whose units lag too long is', async () => {
    const raw = new SqliteStore(':memory:');
    // the unit watch passes `pass` events on, then holds the rest until released: a watch that lags behind
    let pass = Infinity;
    const held: Array<() => void> = [];
    const release = () => {
      pass = Infinity;
      for (const deliver of held.splice(0)) deliver();
    };
    const ranges: string[] = [];
    const store = storeWith(raw, {
      range: (prefix) => (ranges.push(prefix), raw.range(prefix)),
      watch: (prefix, listener, opts) =>
        raw.watch(prefix, prefix === keys.desiredUnitsPrefix() ? (events) => {
          const through = held.length > 0 ? [] : events.slice(0, Math.max(0, pass));
          pass -= through.length;
          if (through.length > 0) listener(through);
          const rest = events.slice(through.length);
          if (rest.length > 0) held.push(() => listener(rest));
        } : listener, opts),
    });
    const view = new CommittedUnitsView(store, (err) => assert.fail(err));
    const deploy = async (version: number, count: number) => {
      for (let i = 1; i <= count; i++) await raw.put(keys.desiredUnit('api', `api-${version}-${i}`), JSON.stringify(unit('api', version, i)));
      await raw.txn({ compare: [], success: [{ type: 'put', key: keys.latest('api'), value: String(version) }, { type: 'put', key: keys.deploy('api', version), value: JSON.stringify(record('api', version, count)) }] });
    };
    const ofVersion = async (version: number) => (await view.committed()).entries.filter((e) => e.value.version === version).length;
    const committedAt = (version: number) => eventually(async () => (await view.committed()).latest.get('api') === version, `the commit of version ${version}`);
    try {
      await view.committed();
      ranges.length = 0;
      await deploy(1, 4);
      await committedAt(1);
      assert.equal(await ofVersion(1), 4);
      assert.deepEqual(ranges, [], 'every unit came by the watch: nothing read again');
      // version 2: 2 of its 5 units come before the commit is heard, the rest 50 ms later
      pass = 2;
      await deploy(2, 5);
      setTimeout(release, 50);
      await committedAt(2);
      assert.equal(await ofVersion(2), 5, 'the whole version');
      assert.deepEqual(ranges, [], 'the rest came by the watch soon enough: nothing read again');
      // version 3: 1 of its 3 units comes, the rest not within the wait: read again
      pass = 1;
      await deploy(3, 3);
      await committedAt(3);
      assert.equal(await ofVersion(3), 3, 'the whole version, read again');
      assert.deepEqual(ranges, [keys.desiredUnitsOf('api')]);
      release();
    } finally {
      await view.stop();
      await raw.close();
    }
  });
});
