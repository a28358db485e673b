// Control-plane HA meets maintenance: three `paz server` replicas on a three-member etcd, an agent with its
// router on every host (process driver). A host is drained (`POST /cluster/hosts/ID/drain`) while load goes
// through another host's router; its units' replacements start slowly (4 s, no health check), and while they
// start, the leading server is SIGKILLed. Another replica takes over the host-drain loop and the drain
// converges: the drained host is empty, the service has exactly its instances elsewhere, no unit ran twice
// at any sample, and no request failed. Then the killed server is back, a unit is restarted (`paz restart web
// --unit U`, followed through a server that is not the leader) and the leader is SIGKILLed again while the fresh
// instance starts: the restart completes, the old instance is gone, nothing ran twice, no request failed.
// test-lane: heavy slow
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { NetnsCluster } from './helpers/netns-cluster.js';
import { waitFor } from './helpers/wait.js';
import { Load, viaRouter } from './helpers/load.js';
import { runPaz } from './helpers/paz-server.js';
import { leaderOf, liveOrchestrator, slowServerCommand, startHaCluster, unitProcesses, watchForDuplicates, type HaCluster } from './helpers/ha-cluster.js';

const why = NetnsCluster.unavailableReason({ etcd: true });
const skip = why ? (process.env.CI === 'true' ? false : why) : false;
const INSTANCES = 3;

interface UnitRow {
  name: string;
  host: string | null;
  healthy: boolean;
  drainingSince?: number;
}

describe('a host drain while the leading server is killed', { skip }, () => {
  const c = new NetnsCluster({ hosts: 3 });
  let ha: HaCluster;
  let dupWatch: ReturnType<typeof watchForDuplicates> | undefined;
  let load: Load | undefined;
  let drainedId = '';
  let routerHost: NetnsCluster['hosts'][number];
  before(async () => {
    ha = await startHaCluster(c);
  });
  after(async () => {
    await load?.stop();
    dupWatch?.stop();
    await ha?.store.close();
    await c.down();
  });

  it('another server takes the drain over: it converges under load, no unit twice, no failed request', async () => {
    dupWatch = watchForDuplicates(c);
    let api = await liveOrchestrator(ha);
    const created = await c.api('POST', `${api}/services`, {
      name: 'web', dockerRepository: 'local/web', command: slowServerCommand(4000), ports: [{ container: 9000 }], numInstances: INSTANCES,
      rollout: { drainSeconds: 1, stopGraceSeconds: 2 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await c.api('POST', `${api}/services/web/deploy`, {})).status, 201);
    const spread = await waitFor('one healthy instance per host', async () => {
      const us = (await c.api('GET', `${api}/services/web/units`)).body as UnitRow[];
      return Array.isArray(us) && us.length === INSTANCES && us.every((u) => u.healthy) && new Set(us.map((u) => u.host)).size === INSTANCES ? us : undefined;
    }, 90_000);
    const hosts = (await c.api('GET', `${api}/cluster/hosts`)).body as Array<{ ID: string; PublicIP: string }>;
    const leader = await waitFor('a leader', () => leaderOf(ha));
    // drain a host that is not the leader's, and load through a third host's router
    const drainedHost = c.hosts.find((h) => h !== leader.host)!;
    routerHost = c.hosts.find((h) => h !== leader.host && h !== drainedHost)!;
    drainedId = hosts.find((h) => h.PublicIP === drainedHost.ip)!.ID;
    const moving = spread.find((u) => u.host === drainedId)!;
    await waitFor(`${routerHost.name}'s router serving every instance`, async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 12; i++) seen.add(await viaRouter(80, 'web.paz', '/', undefined, routerHost.ip).then((r) => r.body, () => ''));
      return seen.size === INSTANCES && [...seen].every((b) => b.startsWith('web v1')) ? true : undefined;
    }, 30_000);
    load = new Load(80, 'web.paz', 20_000, undefined, routerHost.ip);
    load.start();

    const started = Date.now();
    assert.equal((await c.api('POST', `${api}/cluster/hosts/${drainedId}/drain`)).status, 200);
    // the replacement placed and starting (it listens only after 4 s): the moment to lose the leader
    const replacement = await waitFor('the replacement placed', async () => {
      const us = (await c.api('GET', `${api}/services/web/units`)).body as UnitRow[];
      return us.find((u) => u.name !== moving.name && !spread.some((s) => s.name === u.name) && u.host !== null);
    }, 30_000, 100);
    leader.process.child.kill('SIGKILL');
    await leader.process.exited;
    const killedAt = Date.now();
    const next = await waitFor('another server leading', async () => {
      const l = await leaderOf(ha);
      return l && l.id !== leader.id ? l : undefined;
    }, 60_000, 100);
    const takeoverMs = Date.now() - killedAt;
    api = await liveOrchestrator(ha, leader.host);
    // back for the next test, as an operator would bring it back
    ha.servers.set(leader.host.name, await c.startServer(leader.host));

    const final = await waitFor('the drained host empty, the instances elsewhere', async () => {
      const health = (await c.api('GET', `${api}/cluster/hosts/${drainedId}/health`)).body;
      const us = (await c.api('GET', `${api}/services/web/units`)).body as UnitRow[];
      return health?.drain?.state === 'drained' && us.length === INSTANCES && us.every((u) => u.healthy && u.host !== drainedId && u.drainingSince === undefined) ? us : undefined;
    }, 90_000);
    const doneMs = Date.now() - started;
    await new Promise((r) => setTimeout(r, 1000));
    await load.stop();
    const running = await waitFor('exactly the instances running', async () => {
      const procs = unitProcesses(c).filter((p) => p.unit.startsWith('web-'));
      return procs.length === INSTANCES ? procs : undefined;
    }, 30_000);
    const twice = dupWatch.stop();
    console.log(`# drained ${drainedHost.name} (${moving.name} -> ${replacement.name}); killed leader ${leader.host.name} while the replacement started; ${next.host.name} took over in ${(takeoverMs / 1000).toFixed(1)} s; drain done ${(doneMs / 1000).toFixed(1)} s after it began`);
    console.log(`# load via ${routerHost.name}'s router: ok ${load.ok}, failed ${load.failed}; answered by ${JSON.stringify(Object.fromEntries(load.bodies))}; units ${final.map((u) => u.name).join(', ')}; processes ${running.map((p) => `${p.unit}@${p.host}`).join(', ')}; ran twice: ${twice.length}`);
    assert.deepEqual(twice, [], 'no unit ran twice at any sample');
    assert.equal(load.failed, 0, `failed requests: ${load.failures.slice(0, 5).join(' | ')}`);
    assert.deepEqual(running.map((p) => p.unit).sort(), final.map((u) => u.name).sort(), 'the store and the hosts agree');
    assert.ok(running.every((p) => p.host !== drainedHost.name), 'nothing runs on the drained host');
  });

  it('a unit restart while the leading server is killed: it completes, followed by the CLI through another server', async () => {
    dupWatch = watchForDuplicates(c);
    const leader = await waitFor('a leader', () => leaderOf(ha));
    const api = await liveOrchestrator(ha, leader.host);
    const before = (await c.api('GET', `${api}/services/web/units`)).body as UnitRow[];
    assert.equal(before.length, INSTANCES, JSON.stringify(before));
    const hostName = new Map(((await c.api('GET', `${api}/cluster/hosts`)).body as Array<{ ID: string; PublicIP: string }>).map((h) => [h.ID, c.hosts.find((x) => x.ip === h.PublicIP)?.name]));
    // a unit away from the leader's host where there is one: the restart is asked and followed across hosts
    const target = before.find((u) => hostName.get(u.host!) !== leader.host.name) ?? before[0];
    load = new Load(80, 'web.paz', 20_000, undefined, routerHost.ip);
    load.start();
    const started = Date.now();
    const restarting = runPaz(['restart', 'web', '--unit', target.name], '', { PAZ_URL: api, PAZ_TOKEN: c.token });
    const replacement = await waitFor('the fresh instance placed', async () => {
      const us = (await c.api('GET', `${api}/services/web/units`)).body as UnitRow[];
      return us.find((u) => !before.some((b) => b.name === u.name) && u.host !== null);
    }, 30_000, 100);
    leader.process.child.kill('SIGKILL');
    await leader.process.exited;
    // bounded: a restart nobody finishes would have the CLI follow it forever
    const r = await Promise.race([restarting, new Promise<{ code: null; stdout: string; stderr: string }>((res) => setTimeout(() => res({ code: null, stdout: '', stderr: 'paz restart had not returned after 90 s' }), 90_000).unref())]);
    const doneMs = Date.now() - started;
    await new Promise((res) => setTimeout(res, 1000));
    await load.stop();
    const final = (await c.api('GET', `${api}/services/web/units`)).body as UnitRow[];
    const running = await waitFor('exactly the instances running', async () => {
      const procs = unitProcesses(c).filter((p) => p.unit.startsWith('web-'));
      return procs.length === INSTANCES ? procs : undefined;
    }, 30_000);
    const twice = dupWatch.stop();
    console.log(`# restarted ${target.name}@${hostName.get(target.host!)} -> ${replacement.name}@${hostName.get(replacement.host!)}; killed leader ${leader.host.name} while it started; done ${(doneMs / 1000).toFixed(1)} s after it was asked`);
    console.log(`# load via ${routerHost.name}'s router: ok ${load.ok}, failed ${load.failed}; processes ${running.map((p) => `${p.unit}@${p.host}`).join(', ')}; ran twice: ${twice.length}`);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`${target.name} restarted: ${replacement.name} took over, and ${target.name} is drained and stopped`));
    assert.deepEqual(twice, [], 'no unit ran twice at any sample');
    assert.equal(load.failed, 0, `failed requests: ${load.failures.slice(0, 5).join(' | ')}`);
    assert.deepEqual(final.map((u) => u.name).sort(), before.filter((u) => u.name !== target.name).map((u) => u.name).concat(replacement.name).sort());
    assert.ok(final.every((u) => u.healthy && u.host !== drainedId), JSON.stringify(final));
    assert.deepEqual(running.map((p) => p.unit).sort(), final.map((u) => u.name).sort(), 'the store and the hosts agree: the old instance is stopped');
  });
});
