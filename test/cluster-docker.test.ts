// Issue 11, "Docker across hosts" and "Host failure", on a real three-host cluster (test/helpers/netns-cluster.ts):
// every host a network namespace with its own dockerd, etcd member, agent and HAProxy router; the server on h1.
// One cluster for the three tests, in order, on one service without a health path (the default):
// 1. a spread deploy, rollback and scale under load through h2's and h3's routers at once: 0 failed requests,
//    and every router ends sending only to the serving version;
// 2. a power cut of h3 under load through h1's and h2's routers: prints how long the service was unreachable
//    (the longest time without a successful answer) and how many requests failed; the routers' own checks take
//    the dead instances out, and after --host-loss-grace the lost unit runs again on a surviving host. h3's etcd
//    member is made etcd's leader first (the hard case: the survivors' calls meet an election), and the healthy
//    hosts keep their leases: none of their units moves;
// 3. h3 powers on again (dockerd, etcd member, agent with the same data dirs): its stale container is removed,
//    the host rejoins and takes new units, and no unit runs twice.
// test-lane: heavy slow
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { NetnsCluster, type ClusterHost } from './helpers/netns-cluster.js';
import { waitFor } from './helpers/wait.js';
import { Load, viaRouter } from './helpers/load.js';

const why = NetnsCluster.unavailableReason({ docker: true, etcd: true });
const skip = why ? (process.env.CI === 'true' ? false : why) : false;

const SERVICE = 'web';
const HOST_LOSS_GRACE_SECONDS = 5;

interface Unit {
  name: string;
  version: number;
  host: string | null;
  healthy: boolean;
  state: string;
  endpoint?: string;
}

describe('Docker units across three hosts: spread deploys, a host power cut, the host back, a drain', { skip }, () => {
  const c = new NetnsCluster({ hosts: 3, docker: true });
  const [h1, h2, h3] = c.hosts;
  const hostIds = new Map<string, ClusterHost>();
  const hostOf = (id: string | null) => (id ? hostIds.get(id)?.name ?? id : 'unplaced');

  const units = async (): Promise<Unit[]> => {
    const r = await c.api('GET', `${c.orchestrator()}/services/${SERVICE}/units`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  const rollout = async () => (await c.api('GET', `${c.orchestrator()}/services/${SERVICE}/rollout`)).body?.doc;
  /** the deploy of `version` succeeded, and only its units are left, `count` of them, healthy */
  const servesAlone = (version: number, count: number) =>
    waitFor(`${SERVICE} version ${version} serving alone with ${count} healthy instances`, async () => {
      const r = await rollout();
      if (r?.version === version && r.state === 'failed') throw new Error(`deploy failed: ${r.reason}`);
      if (r?.version !== version || r.state !== 'succeeded') return undefined;
      const u = await units();
      return u.length === count && u.every((x) => x.version === version && x.healthy) ? u : undefined;
    }, 120_000);
  /** what the routers of `hosts` answer, many times each: only `body` */
  const onlyAnswers = (hosts: ClusterHost[], body: string) =>
    waitFor(`only "${body.trim()}" through the routers of ${hosts.map((h) => h.name).join(', ')}`, async () => {
      for (const h of hosts) {
        for (let i = 0; i < 12; i++) if ((await viaRouter(80, `${SERVICE}.paz`, '/', undefined, h.ip).catch(() => undefined))?.body !== body) return false;
      }
      return true;
    }, 60_000);
  /** the units each router holds as servers, by router host */
  const routerServers = async () => {
    const lbs = await c.api('GET', `${c.orchestrator()}/cluster/load-balancers`);
    assert.equal(lbs.status, 200);
    const out = new Map<string, Array<{ name: string; state: string; status: string }>>();
    for (const lb of lbs.body as Array<{ host: string; router: { services: Array<{ name: string; servers: Array<{ name: string; state: string; status: string }> }> } | null }>) {
      out.set(hostOf(lb.host), lb.router?.services.find((s) => s.name === SERVICE)?.servers ?? []);
    }
    return out;
  };
  /** this service's containers in every host's dockerd, running or not */
  const containers = (h: ClusterHost, all = false): Array<{ name: string; state: string }> =>
    execFileSync('docker', ['-H', h.dockerHost!, 'ps', ...(all ? ['-a'] : []), '--filter', `label=paz.service=${SERVICE}`, '--format', '{{.Names}} {{.State}}'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((l) => ({ name: l.split(' ')[0], state: l.split(' ')[1] }));

  before(async () => {
    await c.up();
    await c.startEtcd();
    await c.startServer(h1, ['--host-loss-grace', String(HOST_LOSS_GRACE_SECONDS)]);
    for (const h of c.hosts) c.startAgent(h);
    await c.registeredHosts();
    for (const [id, h] of c.hostIds()) hostIds.set(id, h);
    const created = await c.api('POST', `${c.orchestrator()}/services`, {
      name: SERVICE,
      dockerRepository: c.image(1),
      ports: [{ container: 9000 }],
      numInstances: 3,
      // no health path: the default, which the promises must hold for; short drains keep the file quick
      rollout: { drainSeconds: 3, stopGraceSeconds: 3 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.ok((await c.api('POST', `${c.orchestrator()}/services/${SERVICE}/deploy`, {})).status < 300);
    const u = await servesAlone(1, 3);
    assert.equal(new Set(u.map((x) => x.host)).size, 3, `one instance per host: ${u.map((x) => `${x.name}@${hostOf(x.host)}`).join(' ')}`);
    await onlyAnswers(c.hosts, 'Hello World 1\n');
  });
  after(() => c.down());

  it('deploys, rolls back and scales across hosts under load through two routers with 0 failed requests', async () => {
    const loads = [new Load(80, `${SERVICE}.paz`, 1_000_000, undefined, h2.ip), new Load(80, `${SERVICE}.paz`, 1_000_000, undefined, h3.ip)];
    for (const l of loads) l.start();
    const started = Date.now();
    try {
      await new Promise((r) => setTimeout(r, 500));
      const dep = await c.api('POST', `${c.orchestrator()}/services/${SERVICE}/deploy`, { tag: '2' });
      assert.equal(dep.status, 201, JSON.stringify(dep.body));
      assert.equal(dep.body.doc.version, 2);
      const v2 = await servesAlone(2, 3);
      assert.equal(new Set(v2.map((x) => x.host)).size, 3, 'version 2 spread over the hosts');
      await onlyAnswers(c.hosts, 'Hello World 2\n');
      const rb = await c.api('POST', `${c.orchestrator()}/services/${SERVICE}/rollback`, {});
      assert.equal(rb.status, 201, JSON.stringify(rb.body));
      assert.equal(rb.body.doc.version, 3);
      await servesAlone(3, 3);
      await onlyAnswers(c.hosts, 'Hello World 1\n');
      assert.equal((await c.api('POST', `${c.orchestrator()}/services/${SERVICE}/scale`, { numInstances: 5 })).status, 200);
      await waitFor('5 healthy instances', async () => ((await units()).filter((u) => u.healthy).length === 5 ? true : undefined), 120_000);
      assert.equal((await c.api('POST', `${c.orchestrator()}/services/${SERVICE}/scale`, { numInstances: 3 })).status, 200);
      await waitFor('3 instances left', async () => ((await units()).length === 3 ? true : undefined), 120_000);
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      for (const l of loads) await l.stop();
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    for (const [i, l] of loads.entries()) console.log(`# load through ${[h2, h3][i].name}'s router: ${l.summary()}`);
    const failed = loads.reduce((n, l) => n + l.failed, 0);
    const ok = loads.reduce((n, l) => n + l.ok, 0);
    console.log(`figures: spread-deploy failed=${failed} ok=${ok} seconds=${seconds} longest_gap_s=${(Math.max(...loads.map((l) => l.longestGapMs)) / 1000).toFixed(2)}`);
    assert.equal(failed, 0, `failed requests: ${loads.flatMap((l) => l.failures).slice(0, 5).join(' | ')}`);
    for (const l of loads) assert.ok((l.bodies.get('Hello World 1') ?? 0) > 0 && (l.bodies.get('Hello World 2') ?? 0) > 0, `answers switched versions: ${l.summary()}`);

    // every router ends with only the serving version's units, all ready
    const serving = (await units()).map((u) => u.name).sort();
    assert.ok(serving.every((n) => n.startsWith(`${SERVICE}-3-`)), serving.join(' '));
    await waitFor('every router holding only the serving units', async () => {
      const servers = await routerServers();
      return servers.size === 3 && [...servers.values()].every((s) => JSON.stringify(s.map((x) => x.name).sort()) === JSON.stringify(serving) && s.every((x) => x.state === 'ready' && x.status === 'UP'));
    }, 30_000);
    await onlyAnswers(c.hosts, 'Hello World 1\n');
    await waitFor('old versions removed from every dockerd', async () => c.hosts.every((h) => containers(h, true).every((x) => x.name.startsWith(`${SERVICE}-3-`))), 60_000);
  });

  it('a host power cut under load: the routers route around it at once, its unit runs again elsewhere after the grace', async () => {
    const before = await units();
    const lost = before.filter((u) => u.host !== null && hostIds.get(u.host) === h3);
    assert.ok(lost.length > 0, `an instance on h3: ${before.map((x) => `${x.name}@${hostOf(x.host)}`).join(' ')}`);
    const loads = [new Load(80, `${SERVICE}.paz`, 1_000_000, undefined, h1.ip), new Load(80, `${SERVICE}.paz`, 1_000_000, undefined, h2.ip)];
    for (const l of loads) l.start();
    let cutAt = 0;
    let replacedAfter = 0;
    let movedFromHealthy = 0;
    try {
      // the member that dies is etcd's leader, deliberately: the survivors' calls meet an election
      await c.moveEtcdLeader(h3);
      assert.equal((await c.etcdLeader())?.name, h3.name, "h3's etcd member leads before the cut");
      await new Promise((r) => setTimeout(r, 1000));
      cutAt = Date.now();
      console.log(`# power cut of h3 (etcd's leader: ${(await c.etcdLeader())?.name}) at ${cutAt}`);
      await c.powerCut(h3);
      // the lost unit placed again (after the host's lease and --host-loss-grace) and healthy on a surviving host
      const after = await waitFor('3 healthy instances on h1 and h2', async () => {
        const u = await units();
        return u.length === 3 && u.every((x) => x.healthy && x.host !== null && hostIds.get(x.host) !== h3) ? u : undefined;
      }, 120_000);
      replacedAfter = (Date.now() - cutAt) / 1000;
      console.log(`# after the power cut: ${after.map((x) => `${x.name}@${hostOf(x.host)}`).join(' ')}`);
      // units of the surviving hosts stay where they are: their agents' leases outlive etcd's election
      movedFromHealthy = before.filter((x) => !lost.includes(x) && hostOf(after.find((y) => y.name === x.name)?.host ?? null) !== hostOf(x.host)).length;
      // the new instance takes traffic through both routers
      await waitFor('both routers holding the replacement, UP', async () => {
        const servers = await routerServers();
        return [h1, h2].every((h) => {
          const s = servers.get(h.name) ?? [];
          return lost.every((l) => s.some((x) => x.name === l.name && x.status === 'UP'));
        });
      }, 30_000);
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      for (const l of loads) await l.stop();
    }
    for (const [i, l] of loads.entries()) {
      const f = l.firstFailureAt === undefined ? '' : ` failures from +${((l.firstFailureAt - cutAt) / 1000).toFixed(1)} s to +${((l.lastFailureAt! - cutAt) / 1000).toFixed(1)} s`;
      console.log(`# load through ${[h1, h2][i].name}'s router: ${l.summary()} longest_gap_s=${(l.longestGapMs / 1000).toFixed(2)}${f}; ${l.failures.slice(0, 3).join(' | ')}`);
    }
    const failed = loads.reduce((n, l) => n + l.failed, 0);
    const ok = loads.reduce((n, l) => n + l.ok, 0);
    const unreachable = Math.max(...loads.map((l) => l.longestGapMs)) / 1000;
    const newEtcdLeader = (await c.etcdLeader())?.name;
    console.log(`figures: host-power-cut failed=${failed} ok=${ok} unreachable_s=${unreachable.toFixed(2)} replaced_after_s=${replacedAfter.toFixed(1)} host_loss_grace_s=${HOST_LOSS_GRACE_SECONDS} etcd_leader_cut=h3 new_etcd_leader=${newEtcdLeader} moved_from_healthy_hosts=${movedFromHealthy}`);
    assert.equal(movedFromHealthy, 0, 'no unit of a healthy host moved');
    // the target is under 10 s (Nomad ~20 s, Kubernetes 50 s+); bounded loosely here, this machine is shared
    assert.ok(unreachable < 30, `unreachable for ${unreachable} s`);
  });

  it('the host comes back: its stale instance is removed, it rejoins, and no unit runs twice', async () => {
    await c.powerOn(h3);
    c.restartEtcdMember(h3);
    // dockerd sees the killed container again (exited): the unit now runs elsewhere
    const stale = containers(h3, true);
    console.log(`# h3's dockerd after power-on: ${stale.map((x) => `${x.name} ${x.state}`).join(', ') || 'nothing'}`);
    // no Docker restart policy: dockerd does not start the killed container again by itself
    assert.ok(stale.every((x) => x.state !== 'running'), 'nothing of the service runs on h3 before its agent decides');
    c.startAgent(h3);
    await waitFor('h3 registered again', async () => {
      const r = await c.api('GET', `${c.orchestrator()}/cluster/hosts`);
      return r.status === 200 && r.body.length === 3;
    }, 60_000);
    await waitFor("h3's stale containers removed", async () => containers(h3, true).length === 0, 60_000);
    await waitFor("h3's etcd member healthy again", async () => /"health":"true"/.test((await c.get(`http://${h3.ip}:2379/health`)).body), 60_000);

    // it takes units again: a scale up places the new instance on the emptiest host
    assert.equal((await c.api('POST', `${c.orchestrator()}/services/${SERVICE}/scale`, { numInstances: 4 })).status, 200);
    const u = await waitFor('4 healthy instances', async () => {
      const x = await units();
      return x.length === 4 && x.every((y) => y.healthy) ? x : undefined;
    }, 120_000);
    console.log(`# after the scale: ${u.map((x) => `${x.name}@${hostOf(x.host)}`).join(' ')}`);
    assert.ok(u.some((x) => x.host !== null && hostIds.get(x.host) === h3), 'h3 took the new instance');

    // nothing runs twice: the running containers across every dockerd are exactly the desired units
    await new Promise((r) => setTimeout(r, 3000));
    const running = c.hosts.flatMap((h) => containers(h).filter((x) => x.state === 'running').map((x) => ({ ...x, host: h.name })));
    console.log(`figures: host-back desired=${u.length} running=${running.length} ${running.map((x) => `${x.name}@${x.host}`).join(' ')}`);
    assert.deepEqual(running.map((x) => x.name).sort(), u.map((x) => x.name).sort(), 'each desired unit runs exactly once');
    for (const x of u) assert.equal(running.find((r) => r.name === x.name)?.host, hostOf(x.host), `${x.name} runs where it is placed`);
    await onlyAnswers(c.hosts, 'Hello World 1\n');
  });

  it('a host drain under load through the other routers: 0 failed requests, its units move; undrain takes new ones', async () => {
    const h3Id = [...hostIds].find(([, h]) => h === h3)![0];
    const before = await units();
    const moving = before.filter((u) => u.host === h3Id);
    assert.ok(moving.length > 0, `an instance on h3: ${before.map((x) => `${x.name}@${hostOf(x.host)}`).join(' ')}`);
    const loads = [new Load(80, `${SERVICE}.paz`, 1_000_000, undefined, h1.ip), new Load(80, `${SERVICE}.paz`, 1_000_000, undefined, h2.ip)];
    for (const l of loads) l.start();
    const startedAt = Date.now();
    let moved: Unit[];
    try {
      await new Promise((r) => setTimeout(r, 500));
      const drain = await c.api('POST', `${c.orchestrator()}/cluster/hosts/${h3Id}/drain`);
      assert.equal(drain.status, 200, JSON.stringify(drain.body));
      moved = await waitFor('every instance off h3, healthy', async () => {
        const u = await units();
        return u.length === before.length && u.every((x) => x.healthy && x.host !== null && x.host !== h3Id) ? u : undefined;
      }, 120_000);
      await waitFor("h3's containers stopped", async () => containers(h3).length === 0, 60_000);
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      for (const l of loads) await l.stop();
    }
    const seconds = (Date.now() - startedAt) / 1000;
    for (const [i, l] of loads.entries()) console.log(`# load through ${[h1, h2][i].name}'s router: ${l.summary()}; ${l.failures.slice(0, 3).join(' | ')}`);
    const failed = loads.reduce((n, l) => n + l.failed, 0);
    console.log(`figures: host-drain failed=${failed} ok=${loads.reduce((n, l) => n + l.ok, 0)} moved=${moving.length} seconds=${seconds.toFixed(1)} ${moved.map((x) => `${x.name}@${hostOf(x.host)}`).join(' ')}`);
    assert.equal(failed, 0, loads.flatMap((l) => l.failures).slice(0, 5).join(' | '));
    const hosts = await c.api('GET', `${c.orchestrator()}/cluster/hosts`);
    assert.equal(hosts.body.find((h: { ID: string }) => h.ID === h3Id)?.drain?.state, 'drained', JSON.stringify(hosts.body));

    // undrain: nothing moves back, but the next instance goes to the now empty host
    assert.equal((await c.api('POST', `${c.orchestrator()}/cluster/hosts/${h3Id}/undrain`)).status, 200);
    assert.equal((await c.api('POST', `${c.orchestrator()}/services/${SERVICE}/scale`, { numInstances: before.length + 1 })).status, 200);
    const grown = await waitFor(`${before.length + 1} healthy instances`, async () => {
      const u = await units();
      return u.length === before.length + 1 && u.every((y) => y.healthy) ? u : undefined;
    }, 120_000);
    assert.equal(grown.filter((x) => x.host === h3Id).length, 1, `h3 took the new instance: ${grown.map((x) => `${x.name}@${hostOf(x.host)}`).join(' ')}`);
    await onlyAnswers(c.hosts, 'Hello World 1\n');
  });
});
