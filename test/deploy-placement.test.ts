// A deploy's units are placed as they are written (core/placement.ts placeAtDeploy): on the leader, each
// unit of a deploy with no rule to check is written once, already placed, instead of unplaced and then again
// by the placement loop. What a rule decides (host ports, held units, conflictsWith anywhere) and deploys on a
// replica that does not lead are still placed by the loop. Real stores (SQLite, and etcd for a deploy too big
// for one txn, which is staged in chunks), the real control loops; each unit's first write is watched.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { openStore, type Store } from '../src/store/index.js';
import type { Watch } from '../src/store/store.js';
import { keys } from '../src/core/keys.js';
import type { DesiredUnit, HostRecord } from '../src/core/records.js';
import { ControlLoops } from '../src/control/control-loops.js';
import { Directory } from '../src/state/directory.js';
import { Deploys } from '../src/state/deploys.js';
import { EtcdMember, findEtcdBinary } from '../src/store/etcd/local-etcd.js';

import { waitFor } from './helpers/wait.js';
import { InProcessPlane } from './helpers/in-process-plane.js';
import { freePort, request } from './helpers/paz-server.js';

const logger = pino({ level: process.env.PAZ_TEST_LOG ?? 'silent' });

const hostRecord = (id: string): HostRecord => ({
  id, hostname: id, ip: '127.0.0.1', labels: {}, cpus: 2, memoryBytes: 1 << 30, version: '0', agentUrl: 'http://127.0.0.1:1', driver: 'process', startedAt: 0, heartbeatAt: Date.now(),
});

/** The first value each desired unit was written with, from a watch started before the deploys. */
class FirstWrites {
  readonly first = new Map<string, DesiredUnit>();
  /** the revision of each unit's first write: the txn (on etcd, the chunk) it came in */
  readonly revision = new Map<string, number>();
  private watch: Watch | undefined;
  async start(store: Store): Promise<void> {
    this.watch = await store.watch(keys.desiredUnitsPrefix(), (events) => {
      for (const e of events) if (e.type === 'put' && !this.first.has(e.key)) {
          this.first.set(e.key, JSON.parse(e.value) as DesiredUnit);
          this.revision.set(e.key, e.revision);
        }
    });
  }
  of(service: string): DesiredUnit[] {
    return [...this.first.values()].filter((u) => u.service === service);
  }
  stop(): Promise<void> | undefined {
    return this.watch?.cancel();
  }
}

async function placedUnits(store: Store, service: string): Promise<DesiredUnit[]> {
  return (await store.range(keys.desiredUnitsOf(service))).kvs.map((kv) => JSON.parse(kv.value) as DesiredUnit).filter((u) => u.host !== null);
}

function countByHost(units: DesiredUnit[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const u of units) out[u.host ?? 'none'] = (out[u.host ?? 'none'] ?? 0) + 1;
  return out;
}

/** The control loops, a directory and deploys wired as the API server wires them, on `store`. */
async function leaderOn(store: Store): Promise<{ loops: ControlLoops; directory: Directory; deploys: Deploys }> {
  const loops = new ControlLoops(store, logger);
  await loops.start();
  await waitFor('this replica to lead', async () => loops.isLeader());
  const deploys = new Deploys(store);
  deploys.placeWith(loops.placeAtDeploy);
  return { loops, directory: new Directory(store), deploys };
}

describe('deploys place their units as they write them (SQLite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paz-deploy-place-'));
  let store: Store;
  let leader: Awaited<ReturnType<typeof leaderOn>>;
  const writes = new FirstWrites();

  before(async () => {
    store = await openStore(`sqlite:${join(dir, 'paz.db')}`);
    for (const id of ['h1', 'h2', 'h3']) await store.put(keys.host(id), JSON.stringify(hostRecord(id)));
    await writes.start(store);
    leader = await leaderOn(store);
  });
  after(async () => {
    await writes.stop();
    await leader?.loops.stop();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes each unit of a plain deploy once, placed, spread over the hosts', async () => {
    await leader.directory.create({ name: 'web', dockerRepository: 'team/web', numInstances: 30 });
    await leader.deploys.deploy('web', { trigger: { source: 'api' } });
    await waitFor('30 first writes', async () => writes.of('web').length === 30);
    const first = writes.of('web');
    assert.deepEqual(first.filter((u) => u.host === null).map((u) => u.unit), [], 'no unit was first written unplaced');
    assert.deepEqual(countByHost(first), { h1: 10, h2: 10, h3: 10 });
    assert.ok(first.every((u) => u.reason === undefined && typeof u.placedAt === 'number'), 'placed units carry placedAt and no "waiting for placement"');
    // the loop has nothing left to do: the stored units are the ones the deploy wrote
    const stored = await placedUnits(store, 'web');
    assert.deepEqual(countByHost(stored), { h1: 10, h2: 10, h3: 10 });
  });

  it('counts the units already there: the next service fills the hosts that have fewest', async () => {
    await store.delete(keys.host('h3'));
    await store.put(keys.host('h4'), JSON.stringify(hostRecord('h4')));
    await leader.directory.create({ name: 'api', dockerRepository: 'team/api', numInstances: 4 });
    // the host change reaches the loop's view by its watch
    await waitFor('h4 known to the leader', async () => {
      await leader.deploys.deploy('api', { trigger: { source: 'api' } });
      const latest = Math.max(...writes.of('api').map((u) => u.version));
      return countByHost(writes.of('api').filter((u) => u.version === latest)).h4 !== undefined;
    });
    const latest = Math.max(...writes.of('api').map((u) => u.version));
    const first = writes.of('api').filter((u) => u.version === latest);
    assert.ok(first.every((u) => u.host !== null && u.host !== 'h3'), `no unit on the host that left: ${JSON.stringify(countByHost(first))}`);
    // h4 has no unit at all, h1 and h2 ten each: h4 takes api's first instance, then api spreads
    assert.equal(first.find((u) => u.instance === 1)?.host, 'h4');
  });

  it('a scale places the instances it adds as it writes them', async () => {
    await leader.directory.create({ name: 'grow', dockerRepository: 'team/grow', numInstances: 2 });
    await leader.deploys.deploy('grow', { trigger: { source: 'api' } });
    // while version 1 deploys (no agent runs it here), what a scale adds is held for its rollout: the loop's
    const during = await leader.deploys.scale('grow', 3);
    await waitFor('3 first writes', async () => writes.of('grow').length === 3);
    assert.deepEqual(writes.of('grow').filter((u) => u.host === null).map((u) => [u.unit, u.hold]), [['grow-1-3', true]]);
    assert.deepEqual(during.added, ['grow-1-3']);
    // as the rollout controller records it once the instances are healthy
    const status = await leader.deploys.rolloutStatus('grow', 1);
    await store.put(keys.rolloutStatus('grow', 1), JSON.stringify({ ...status, state: 'succeeded', finishedAt: Date.now() }));
    const answer = await leader.deploys.scale('grow', 7);
    assert.deepEqual(answer.added, ['grow-1-4', 'grow-1-5', 'grow-1-6', 'grow-1-7'], 'in instance order');
    await waitFor('7 first writes', async () => writes.of('grow').length === 7);
    assert.deepEqual(writes.of('grow').filter((u) => u.instance > 3 && u.host === null).map((u) => u.unit), []);
  });

  it('leaves to the loop what a rule decides: a host port, held instances (maxSurge), and every deploy while a service names conflictsWith', async () => {
    await leader.directory.create({ name: 'fixed', dockerRepository: 'team/fixed', numInstances: 2, ports: [{ container: 80, host: 8080 }] });
    await leader.directory.create({ name: 'slow', dockerRepository: 'team/slow', numInstances: 3, rollout: { maxSurge: 1 } });
    await leader.deploys.deploy('fixed', { trigger: { source: 'api' } });
    await leader.deploys.deploy('slow', { trigger: { source: 'api' } });
    await waitFor('first writes', async () => writes.of('fixed').length === 2 && writes.of('slow').length === 3);
    assert.ok(writes.of('fixed').every((u) => u.host === null), 'host ports: the loop checks them');
    const slow = writes.of('slow').sort((a, b) => a.instance - b.instance);
    assert.deepEqual(slow.map((u) => [u.instance, u.host !== null, u.hold === true]), [[1, true, false], [2, false, true], [3, false, true]]);
    await waitFor('the loop places the port units', async () => (await placedUnits(store, 'fixed')).length === 2);

    // a service with a conflictsWith rule, not yet deployed: its units could be staged at any moment
    await leader.directory.create({ name: 'solo', dockerRepository: 'team/solo', numInstances: 1, conflictsWith: 'batch' });
    await leader.directory.create({ name: 'batch', dockerRepository: 'team/batch', numInstances: 3 });
    await leader.deploys.deploy('batch', { trigger: { source: 'api' } });
    await waitFor('batch first writes', async () => writes.of('batch').length === 3);
    assert.ok(writes.of('batch').every((u) => u.host === null), 'unplaced: the loop weighs the rule');
    await waitFor('the loop places batch', async () => (await placedUnits(store, 'batch')).length === 3);
  });

  it('a deploy on a replica that does not lead writes its units unplaced, and the leader places them', async () => {
    const follower = new Deploys(store);
    const loops = new ControlLoops(store, logger);
    await loops.start();
    try {
      assert.equal(loops.isLeader(), false);
      follower.placeWith(loops.placeAtDeploy);
      await leader.directory.create({ name: 'edge', dockerRepository: 'team/edge', numInstances: 3 });
      await follower.deploy('edge', { trigger: { source: 'api' } });
      await waitFor('edge first writes', async () => writes.of('edge').length === 3);
      assert.ok(writes.of('edge').every((u) => u.host === null));
      await waitFor('the leader places edge', async () => (await placedUnits(store, 'edge')).length === 3);
    } finally {
      await loops.stop();
    }
  });
});

describe('the API server places a deploy as it writes it (paz server wiring)', () => {
  const plane = new InProcessPlane('off');
  const writes = new FirstWrites();
  before(async () => {
    await plane.start();
    await plane.store.put(keys.host('h1'), JSON.stringify(hostRecord('h1')));
    await writes.start(plane.store);
  });
  after(async () => {
    await writes.stop();
    await plane.close();
  });

  it('POST /hooks/deploy writes placed units', async () => {
    assert.equal((await request('POST', `${plane.orchestrator}/services`, { name: 'hello', dockerRepository: 'team/hello', numInstances: 3 })).status, 201);
    // the loop's view of the hosts follows a watch: a deploy before it heard of h1 leaves the units to the loop
    await waitFor('placed at deploy', async () => {
      assert.equal((await request('POST', `${plane.scheduler}/hooks/deploy`, { serviceName: 'hello' })).status, 200);
      const latest = Math.max(...writes.of('hello').map((u) => u.version));
      const first = writes.of('hello').filter((u) => u.version === latest);
      return first.length === 3 && first.every((u) => u.host === 'h1');
    });
  });
});

const noEtcd = findEtcdBinary() === undefined && process.env.CI !== 'true' ? 'etcd is not installed' : false;

describe('a deploy too big for one etcd txn is staged already placed', { skip: noEtcd }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'paz-deploy-place-etcd-'));
  let etcd: EtcdMember;
  let store: Store;
  let leader: Awaited<ReturnType<typeof leaderOn>>;
  const writes = new FirstWrites();

  before(async () => {
    etcd = EtcdMember.start({ name: 'm0', dataDir: join(dir, 'etcd'), logFile: join(dir, 'etcd.log'), clientPort: await freePort(), peerPort: await freePort() });
    await etcd.waitUntilHealthy(60_000);
    store = await openStore(`etcd://${etcd.endpoint}`);
    for (let i = 1; i <= 30; i++) await store.put(keys.host(`h${i}`), JSON.stringify(hostRecord(`h${i}`)));
    await writes.start(store);
    leader = await leaderOn(store);
  });
  after(async () => {
    await writes.stop();
    await leader?.loops.stop();
    await store?.close();
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes 300 units once each, placed, in chunks grouped by host, then commits them', async () => {
    await leader.directory.create({ name: 'big', dockerRepository: 'team/big', numInstances: 300 });
    await leader.deploys.deploy('big', { trigger: { source: 'api' } });
    await waitFor('300 first writes', async () => writes.of('big').length === 300);
    const ten = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`h${i + 1}`, 10]));
    assert.deepEqual(countByHost(writes.of('big')), ten);
    assert.equal((await store.get(keys.latest('big')))?.value, '1');
    assert.deepEqual(countByHost(await placedUnits(store, 'big')), ten);
    // each host's units in one chunk (txn), bar the hosts cut by a chunk's end: its agent hears of them in one
    // watch event and starts them together. In instance order every chunk held units of every host.
    const chunks = new Set(writes.revision.values()).size;
    const pairs = new Set([...writes.first].map(([key, u]) => `${u.host}@${writes.revision.get(key)}`)).size;
    assert.ok(chunks >= 3, `staged in ${chunks} chunks`);
    assert.ok(pairs <= 30 + chunks - 1, `${pairs} (host, chunk) pairs for 30 hosts in ${chunks} chunks`);
  });
});
