// A deploy too big for one etcd txn is staged in chunks (its units placed as they are written, by the leader:
// core/placement.ts placeAtDeploy) and committed at the end (state/chunked-writes.ts). Here the leading
// `paz server` that writes it is cut off between its placed chunks and its commit, with two real agents
// (process driver) watching the store and a second `paz server` replica on the same etcd:
// - cut off from etcd (a partition) until it loses its leadership and its service lock: its commit never
//   lands, the new leader removes the staged units, and a deploy through the old leader (a follower now,
//   writing unplaced) is placed by the new leader and runs;
// - killed -9: the same, and the agents start nothing of the staged chunks meanwhile.
// The server reaches etcd through a TCP proxy in this process that can add latency to what the server sends
// (so its commit arrives well after its chunks, and the cut lands between them) and drop everything (a
// partition). Units are `sleep` processes: a promise broken here starts hundreds of them, not servers.
// test-lane: light slow
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PazProcess, request } from './helpers/paz-server.js';
import { startLocalCluster, skipUnlessEtcd, type LocalCluster } from './helpers/local-agents.js';
import { unitProcessesIn, sampleRunningTwice } from './helpers/procs.js';
import { waitFor } from './helpers/wait.js';
import { tcpProxy } from './helpers/tcp-proxy.js';
import { openStore } from '../src/store/index.js';
import type { Store, Watch } from '../src/store/store.js';
import { keys } from '../src/core/keys.js';
import type { DesiredUnit } from '../src/core/records.js';

/** over etcd's 128 ops per txn: staged in 2 chunks */
const INSTANCES = 150;
/** added to everything the cut-off server sends to etcd once its deploy is staging */
const LATENCY_MS = 1200;

interface EtcdLink {
  port: number;
  latencyMs: number;
  /** drop every byte both ways and every new connection's, until heal() */
  partition(): void;
  /** ends the partition; connections that lived through it are closed (their streams lost bytes) */
  heal(): void;
  /** holds what the client sends (as a stalled process sends nothing) until resume(), which sends it on in order */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

/** A TCP proxy to etcd whose client-to-etcd bytes can be delayed or dropped; a client that goes drops what is still delayed. */
async function etcdLink(target: { host: string; port: number }): Promise<EtcdLink> {
  let partitioned = false;
  const cut = new Set<Socket>();
  let paused = false;
  /** what paused connections would have sent, in order */
  const held: Array<{ to: Socket; chunk: Buffer }> = [];
  const send = (to: Socket, chunk: Buffer) => (paused ? held.push({ to, chunk }) : void to.write(chunk));
  const proxy = await tcpProxy(target, {
    wire: (client, upstream) => {
      const delayed = new Set<NodeJS.Timeout>();
      if (partitioned) cut.add(client);
      client.on('close', () => {
        for (const t of delayed) clearTimeout(t);
      });
      client.on('data', (chunk: Buffer) => {
        if (partitioned) return cut.add(client);
        if (link.latencyMs === 0) return void send(upstream, chunk);
        const t = setTimeout(() => {
          delayed.delete(t);
          if (!partitioned) send(upstream, chunk);
        }, link.latencyMs);
        delayed.add(t);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (partitioned) return cut.add(client);
        client.write(chunk);
      });
    },
  });
  const link: EtcdLink = {
    port: proxy.where as number,
    latencyMs: 0,
    partition() {
      partitioned = true;
      for (const s of proxy.sockets) cut.add(s);
    },
    heal() {
      partitioned = false;
      for (const s of cut) s.destroy();
      cut.clear();
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      for (const { to, chunk } of held.splice(0)) if (!to.destroyed) to.write(chunk);
    },
    close: () => proxy.close(),
  };
  return link;
}

describe('a staged deploy whose leader is cut off between its placed chunks and its commit', { skip: skipUnlessEtcd }, () => {
  let cluster: LocalCluster;
  let link: EtcdLink;
  /** the replica that leads and writes the big deploys, through `link` */
  let a: PazProcess;
  let store: Store;
  let watch: Watch | undefined;
  /** what to do at the first write of a service's staged unit (placed, not committed) */
  const onStaged = new Map<string, (u: DesiredUnit) => void>();
  /** what to do when a service's pending-write record appears (its big write begins) */
  const onPending = new Map<string, () => void>();
  /** every version of a service whose units were ever written, with the first of them */
  const firstUnits = new Map<string, DesiredUnit[]>();
  const services = ['wide', 'tall', 'still', 'probe'];

  const leaderPid = async () => Number((await store.get(keys.election('control')))?.value.split('-')[0] ?? 0);
  const cgroups = () => [...cluster.agents.values()].map((x) => x.cgroup);
  const latest = async (service: string) => Number((await store.get(keys.latest(service)))?.value ?? 0);
  const unitsOf = async (service: string) => (await store.range(keys.desiredUnitsOf(service))).kvs.map((kv) => JSON.parse(kv.value) as DesiredUnit);
  const statusesOf = async (service: string) => (await store.range(keys.unitStatusPrefix())).kvs.filter((kv) => kv.key.startsWith(keys.unitStatus(`${service}-`)));

  /** Makes `a` the leader: the other replica steps down (a clean stop resigns) and comes back as a follower. */
  async function aLeads(): Promise<void> {
    // a test before that failed half-way may have left A cut off
    link.heal();
    link.resume();
    link.latencyMs = 0;
    if ((await leaderPid()) === a.child!.pid) return;
    await cluster.paz.stop();
    await waitFor('replica A to lead', async () => (await leaderPid()) === a.child!.pid, 30_000);
    await cluster.paz.start();
    // its placement loop's view of the hosts follows a watch: a small deploy through A is written placed once it has one
    await waitFor('A to place a deploy as it writes it', async () => {
      const r = await request('POST', `${a.orchestrator}/services/probe/deploy`, {});
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const first = firstUnits.get('probe')?.find((u) => u.version === r.body.doc.version);
      return first !== undefined && first.host !== null;
    }, 30_000, 300);
  }

  before(async () => {
    cluster = await startLocalCluster('paz-staged-cut-', { h1: false, h2: false });
    const [host, port] = cluster.etcd.endpoint.split(':');
    link = await etcdLink({ host: host!, port: Number(port) });
    const token = readFileSync(join(cluster.dir, 'server', 'cluster-token'), 'utf8').trim();
    a = new PazProcess({ role: 'server', dataDir: join(cluster.dir, 'server-a'), extraArgs: ['--store', `etcd://127.0.0.1:${link.port}`, '--cluster-token', token] });
    await a.start();
    store = await openStore(`etcd://${cluster.etcd.endpoint}`);
    watch = await store.watch('/paz/', (events) => {
      for (const e of events) {
        if (e.type !== 'put') continue;
        if (e.key.startsWith(keys.pendingWritesPrefix())) onPending.get(e.key.slice(keys.pendingWritesPrefix().length))?.();
        if (!e.key.startsWith(keys.desiredUnitsPrefix())) continue;
        const u = JSON.parse(e.value) as DesiredUnit;
        const seen = firstUnits.get(u.service) ?? [];
        if (!seen.some((s) => s.unit === u.unit)) firstUnits.set(u.service, [...seen, u]);
        onStaged.get(u.service)?.(u);
      }
    });
    for (const name of services) {
      const created = await request('POST', `${cluster.paz.orchestrator}/services`, { name, dockerRepository: `local/${name}`, command: ['sleep', '600'], numInstances: name === 'probe' ? 1 : INSTANCES, rollout: { drainSeconds: 1 } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
    }
  });
  after(async () => {
    link?.heal();
    link?.resume();
    if (a?.child?.pid) {
      try {
        process.kill(a.child.pid, 'SIGCONT');
      } catch {
        /* gone */
      }
    }
    if (link) link.latencyMs = 0;
    await watch?.cancel();
    await store?.close();
    await a?.close();
    await cluster?.close(services);
    await link?.close();
  });

  /**
   * Deploys `service` through A, which leads; at its first staged unit, `cut` cuts A off. Answers what A's
   * deploy request answered (if it did) and the staged units seen, once the cut is made.
   */
  /** what each service's cut-off deploy answered, for the log */
  const answered: Record<string, string> = {};

  async function deployAndCut(service: string, cut: () => void): Promise<{ answer: Promise<number | string>; staged: DesiredUnit[] }> {
    await aLeads();
    // the latency starts with the big write (its pending record): A's chunks land, its commit is still on its way
    onPending.set(service, () => (link.latencyMs = LATENCY_MS));
    const wasCut = new Promise<void>((resolve) =>
      onStaged.set(service, () => {
        onStaged.delete(service);
        cut();
        resolve();
      }),
    );
    // the status, and for the log what it said
    const answer = request('POST', `${a.orchestrator}/services/${service}/deploy`, {}).then((r) => ((answered[service] = String(r.body?.message ?? '')), r.status), (err: Error) => err.message);
    await wasCut;
    onPending.delete(service);
    // the chunks A sent before the cut land; nothing A sends after it does
    await new Promise((r) => setTimeout(r, LATENCY_MS + 500));
    return { answer, staged: await unitsOf(service) };
  }

  /** The staged units were placed and never committed; the next leader removes them and A's pending record. */
  async function assertStagedThenCleaned(service: string, staged: DesiredUnit[], startedOnAgents: () => string[]): Promise<void> {
    assert.ok(staged.length > 0, 'chunks landed before the cut');
    assert.ok(staged.every((u) => u.host !== null && u.version === 1), `placed as they were written: ${JSON.stringify(staged.filter((u) => u.host === null).slice(0, 3))}`);
    assert.equal(await latest(service), 0, 'never committed');
    await waitFor(`${service}'s staged units removed by the next leader`, async () => (await unitsOf(service)).length === 0 && !(await store.get(keys.pendingWrite(service))), 45_000, 250);
    assert.notEqual(await leaderPid(), a.child?.pid ?? -1, 'A leads no more');
    assert.equal(await latest(service), 0, 'never committed');
    assert.deepEqual(startedOnAgents(), [], 'no agent started a staged unit');
    assert.deepEqual((await statusesOf(service)).map((kv) => kv.key), [], 'no agent reported a staged unit');
  }

  it('cut off from etcd: it loses the lead and its lock, its commit never lands, the new leader cleans up; a deploy through it is placed by the new leader', async () => {
    const started = sampleRunningTwice(() => unitProcessesIn(cgroups()).filter((u) => u.startsWith('wide-')), 200);
    const { answer, staged } = await deployAndCut('wide', () => link.partition());
    // the partition outlasts A's election lease (10 s) and its write lock's (15 s)
    await waitFor('replica B to lead', async () => (await leaderPid()) === cluster.paz.child!.pid, 30_000);
    await assertStagedThenCleaned('wide', staged, () => started.stop().filter((u) => u.startsWith('wide-')));
    link.heal();
    link.latencyMs = 0;
    const status = await answer;
    console.log(`# A's deploy answered ${status} after the partition; ${staged.length} staged units were placed on ${new Set(staged.map((u) => u.host)).size} hosts`);
    assert.notEqual(status, 201, "A's deploy was never committed, so it must not answer that it was");

    // A is a follower now: what it deploys, it writes unplaced; the new leader places it and the agents run it
    const deployed = await waitFor("a deploy through A once it reaches etcd again", async () => {
      const r = await request('POST', `${a.orchestrator}/services/wide/deploy`, {});
      return r.status === 201 ? r : undefined;
    }, 30_000, 500);
    const version = deployed.body.doc.version as number;
    assert.equal(await latest('wide'), version);
    const hosts = new Set([...cluster.agents.values()].map((x) => x.id));
    await waitFor(`all ${INSTANCES} units of version ${version} placed on live hosts`, async () => {
      const units = (await unitsOf('wide')).filter((u) => u.version === version);
      return units.length === INSTANCES && units.every((u) => u.host !== null && hosts.has(u.host)) ? units : undefined;
    }, 30_000, 250);
    await waitFor('the agents run them', async () => unitProcessesIn(cgroups()).filter((u) => u.startsWith(`wide-${version}-`)).length === INSTANCES, 45_000, 500);
  });

  // A process stalled (a long GC pause, a frozen VM) past its election lease (10 s) but maybe not past its write
  // lock's (15 s): when it wakes, its commit lands with the units it placed, or its fence refuses it. Either is
  // fine as long as it is whole and told as it is: committed, all placed on live hosts and run, and answered
  // 201; or refused, cleaned up by the next leader, and not answered 201.
  it('stalled past its leadership: its commit lands whole and runs, or is refused and cleaned up; its answer says which', async () => {
    const pid = () => a.child!.pid!;
    const { answer, staged } = await deployAndCut('still', () => {
      // what it sent and its own clock stop together
      link.pause();
      process.kill(pid(), 'SIGSTOP');
    });
    assert.ok(staged.length > 0 && staged.every((u) => u.host !== null), 'placed chunks landed before the stall');
    await waitFor('replica B to lead while A is stalled', async () => (await leaderPid()) === cluster.paz.child!.pid, 30_000);
    await new Promise((r) => setTimeout(r, 2_000));
    process.kill(pid(), 'SIGCONT');
    link.resume();
    link.latencyMs = 0;
    const status = await answer;
    const hosts = new Set([...cluster.agents.values()].map((x) => x.id));
    const outcome = await waitFor('the stalled deploy settled', async () => {
      if (await store.get(keys.pendingWrite('still'))) return undefined;
      const units = await unitsOf('still');
      if ((await latest('still')) === 0) return units.length === 0 ? 'refused' : undefined;
      return units.length === INSTANCES && units.every((u) => u.host !== null && hosts.has(u.host)) ? 'committed' : undefined;
    }, 45_000, 250);
    console.log(`# stalled leader: its commit was ${outcome}; it answered ${status} ${answered.still ?? ''}`);
    if (outcome === 'committed') {
      assert.equal(status, 201, 'a deploy that landed is answered as one');
      await waitFor('the agents run the units it placed', async () => unitProcessesIn(cgroups()).filter((u) => u.startsWith('still-1-')).length === INSTANCES, 45_000, 500);
    } else {
      assert.notEqual(status, 201, 'a deploy that did not land is not answered as one');
      assert.deepEqual(unitProcessesIn(cgroups()).filter((u) => u.startsWith('still-')), []);
    }
  });

  it('killed -9: the agents start nothing of its placed chunks, and the next leader removes them', async () => {
    const started = sampleRunningTwice(() => unitProcessesIn(cgroups()).filter((u) => u.startsWith('tall-')), 200);
    const { answer, staged } = await deployAndCut('tall', () => a.child!.kill('SIGKILL'));
    await assertStagedThenCleaned('tall', staged, () => started.stop());
    assert.equal(typeof (await answer), 'string', 'the request died with A, unanswered');
    // A restarts as a follower (on a link without latency); nothing of the staged version comes back
    link.latencyMs = 0;
    await a.start();
    assert.deepEqual(await unitsOf('tall'), []);
  });
});
