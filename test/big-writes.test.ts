// test-lane: normal
/**
 * Deploys, scales and deletes of the most instances a service may have (1000) on both store backends:
 * on etcd they take several txns (128 ops per txn), and readers must still see each deploy as one step.
 * Also what a writer that died half-way leaves behind, and how the next writer (or the leader's loop)
 * cleans it up.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../src/store/store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { EtcdStore } from '../src/store/etcd/etcd-store.js';
import { EtcdMember, findEtcdBinary } from '../src/store/etcd/local-etcd.js';
import { Directory } from '../src/state/directory.js';
import { Deploys } from '../src/state/deploys.js';
import { ClusterView } from '../src/state/cluster.js';
import { committedDesiredUnits } from '../src/state/desired-units.js';
import { keys } from '../src/core/keys.js';
import { desiredUnitsFor } from '../src/core/deploy-plan.js';
import type { PendingWrite } from '../src/state/chunked-writes.js';
import { freePort, tmpDir } from './helpers/env.js';

const etcdMissing = findEtcdBinary() === undefined && process.env.CI !== 'true';
const N = 1000;

interface Backend {
  name: string;
  skip: string | false;
  open(): Promise<Store>;
  close(): Promise<void>;
}

const dir = tmpDir('paz-big-writes-');
let member: EtcdMember | undefined;
const backends: Backend[] = [
  { name: 'sqlite', skip: false, open: async () => new SqliteStore(join(dir, 'store.db')), close: async () => undefined },
  {
    name: 'etcd',
    skip: etcdMissing ? 'etcd is not installed' : false,
    open: async () => {
      if (!member) {
        member = EtcdMember.start({ name: 'm0', dataDir: join(dir, 'etcd'), logFile: join(dir, 'etcd.log'), clientPort: await freePort(), peerPort: await freePort() });
        await member.waitUntilHealthy(60_000);
      }
      return new EtcdStore([member.endpoint]);
    },
    close: async () => void (await member?.stop()),
  },
];
after(() => rmSync(dir, { recursive: true, force: true }));

for (const backend of backends) {
  describe(`${N}-instance writes on ${backend.name}`, { skip: backend.skip }, () => {
    let store: Store;
    let directory: Directory;
    let deploys: Deploys;
    before(async () => {
      store = await backend.open();
      directory = new Directory(store);
      deploys = new Deploys(store);
    });
    after(async () => {
      await store.close();
      await backend.close();
    });

    /** Reads units as readers do, over and over while `work` runs; every read must show whole versions. */
    async function watchWholeVersions<T>(service: string, work: () => Promise<T>): Promise<{ result: T; reads: number }> {
      let done = false;
      let reads = 0;
      const problems: string[] = [];
      const reader = (async () => {
        while (!done) {
          const units = (await committedDesiredUnits(store, service)).entries.map((e) => e.value);
          const perVersion = new Map<number, number>();
          for (const u of units) perVersion.set(u.version, (perVersion.get(u.version) ?? 0) + 1);
          for (const [v, n] of perVersion) if (n !== N) problems.push(`read ${reads}: version ${v} had ${n} units`);
          reads++;
          // a reader is I/O-driven (watches, timers, requests): one read per event-loop turn
          await new Promise((r) => setImmediate(r));
        }
      })();
      try {
        return { result: await work(), reads };
      } finally {
        done = true;
        await reader;
        assert.deepEqual(problems.slice(0, 5), [], 'no reader ever saw part of a version');
      }
    }

    it(`deploys ${N} instances, then a new version of them, as whole steps`, async () => {
      await directory.create({ name: 'big', dockerRepository: 'example/big', numInstances: N, env: { PAD: 'p'.repeat(300) } });
      const first = await watchWholeVersions('big', () => deploys.deploy('big', { trigger: { source: 'api' } }));
      assert.equal(first.result.version, 1);
      const second = await watchWholeVersions('big', () => deploys.deploy('big', { trigger: { source: 'api' } }));
      assert.equal(second.result.version, 2);
      console.log(`# readers read ${first.reads} + ${second.reads} times during the two deploys`);
      const units = await new ClusterView(store).units('big');
      assert.equal(units.filter((u) => u.version === 2).length, N);
      assert.equal(units.filter((u) => u.version === 1).length, N);
      assert.equal(await store.get(keys.pendingWrite('big')), undefined, 'nothing left pending');
      assert.equal(await store.get(keys.writeLock('big')), undefined, 'the lock is released');
    });

    it(`scales to 0 and back up to ${N}`, async () => {
      const down = await deploys.scale('big', 0);
      assert.equal(down.draining.length, N);
      const v2 = (await committedDesiredUnits(store, 'big')).entries.map((e) => e.value).filter((u) => u.version === 2);
      assert.equal(v2.filter((u) => u.drainingSince !== undefined).length, N);
      // the drained units are gone (as the rollout controller deletes them), then scale up
      await store.deletePrefix(keys.desiredUnitsOfVersion('big', 2));
      const up = await deploys.scale('big', N);
      assert.equal(up.added.length, N);
      assert.equal((await directory.get('big')).config.numInstances, N);
      const live = (await committedDesiredUnits(store, 'big')).entries.filter((e) => e.value.version === 2 && e.value.drainingSince === undefined);
      assert.equal(live.length, N);
    });

    it('ignores the staged units of a deployer that died, and the next deploy removes them', async () => {
      const latest = await deploys.latestVersion('big');
      const rec = await deploys.version('big', latest);
      const staged = desiredUnitsFor({ ...rec, version: latest + 1 }, 200, Date.now(), 1);
      const pending: PendingWrite = { op: 'deploy', service: 'big', version: latest + 1, startedAt: Date.now(), by: 'dead' };
      await store.put(keys.pendingWrite('big'), JSON.stringify(pending));
      for (let i = 0; i < staged.length; i += 100) {
        await store.txn({ compare: [], success: staged.slice(i, i + 100).map((u) => ({ type: 'put' as const, key: keys.desiredUnit('big', u.unit), value: JSON.stringify(u) })) });
      }
      const visible = (await committedDesiredUnits(store, 'big')).entries;
      assert.equal(visible.filter((e) => e.value.version > latest).length, 0, 'staged units are invisible');
      await assert.rejects(new ClusterView(store).unit(staged[0].unit), /no unit named/);
      await directory.patchConfig('big', { numInstances: 150 });
      const rec2 = await deploys.deploy('big', { trigger: { source: 'api' } });
      assert.equal(rec2.version, latest + 1);
      const units = (await committedDesiredUnits(store, 'big')).entries.filter((e) => e.value.version === rec2.version);
      assert.equal(units.length, 150, 'exactly the new deploy\'s units: the 50 extra staged ones were removed');
      assert.equal(await store.get(keys.pendingWrite('big')), undefined);
    });

    it('carries a scale whose writer died on to its count', async () => {
      const version = await deploys.latestVersion('big');
      const pending: PendingWrite = { op: 'scale', service: 'big', version, count: 7, startedAt: Date.now(), by: 'dead' };
      await store.put(keys.pendingWrite('big'), JSON.stringify(pending));
      assert.equal(await deploys.writes.recover('big'), true);
      const live = (await committedDesiredUnits(store, 'big')).entries.filter((e) => e.value.version === version && e.value.drainingSince === undefined);
      assert.equal(live.length, 7);
      assert.equal(await store.get(keys.pendingWrite('big')), undefined);
    });

    it(`deletes a service of ${N} units, staged ones included`, async () => {
      await deploys.scale('big', N);
      await directory.delete('big');
      assert.equal((await store.range(keys.desiredUnitsOf('big'))).kvs.length, 0);
      assert.equal(await store.get(keys.writeLock('big')), undefined);
    });
  });
}
