// Control-plane HA meets maintenance: three `paz server` replicas on a three-member etcd, an agent with its
// router on every host (process driver). A host is drained (`POST /cluster/hosts/ID/drain`) while load goes
// through another host's router; its units' replacements start slowly (4 s, no health check), and while they
// start, the leading server is SIGKILLed. Another replica takes over the host-drain loop and the drain
// converges: the drained host is empty, the service has exactly its instances elsewhere, no unit ran twice
// at any sample, and no request failed.
// test-lane: heavy slow
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { NetnsCluster } from './helpers/netns-cluster.js';
import { waitFor } from './helpers/wait.js';
import { Load, viaRouter } from './helpers/load.js';
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
    const routerHost = c.hosts.find((h) => h !== leader.host && h !== drainedHost)!;
    const drainedId = hosts.find((h) => h.PublicIP === drainedHost.ip)!.ID;
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
});
