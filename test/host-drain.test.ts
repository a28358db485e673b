// Issue 11, "Maintenance": `paz host drain ID` moves a host's units away with zero failed requests, and
// `paz host undrain ID` makes it eligible again. Two `paz agent` processes on this machine are two hosts
// (their own data dirs, host ids and cgroups; process driver), on one etcd with `paz server`. Load runs
// through the router of the host that stays while the other is drained: every unit ends on the staying
// host, and no request fails. Draining the staying host too is stuck (nowhere else to go) and stops
// nothing; after undrain, new placements land on the drained host again, but units do not move back.
// test-lane: heavy slow
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from './helpers/paz-server.js';
import { waitFor } from './helpers/wait.js';
import { Load, viaRouter } from './helpers/load.js';
import { skipUnlessEtcd as skip, startLocalCluster, type LocalCluster } from './helpers/local-agents.js';

const server = `
require('node:http').createServer((q, s) => s.end('hello from ' + process.env.PAZ_SERVICE + ' ' + process.env.PAZ_VERSION + '-' + process.env.PAZ_INSTANCE + '\\n'))
  .listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

interface UnitRow {
  name: string;
  version: number;
  host: string | null;
  healthy: boolean;
  drainingSince?: number;
}

describe('paz host drain and undrain, two hosts under load', { skip }, () => {
  let c: LocalCluster;
  let paz: LocalCluster['paz'];
  const agents = { stay: { id: '' }, go: { id: '' } };
  let routerPort = 0;
  const units = async (): Promise<UnitRow[]> => (await request('GET', `${paz.orchestrator}/services/moving/units`)).body as UnitRow[];
  const cli = (args: string[]) => c.cli(args);

  before(async () => {
    // the staying host runs the router the load goes through; the drained one none
    c = await startLocalCluster('paz-drain-', { stay: true, go: false });
    paz = c.paz;
    agents.stay.id = c.agents.get('stay')!.id;
    agents.go.id = c.agents.get('go')!.id;
    routerPort = c.agents.get('stay')!.routerPort!;
    const created = await request('POST', `${paz.orchestrator}/services`, {
      name: 'moving',
      dockerRepository: 'local/moving',
      command: [process.execPath, '-e', server],
      ports: [{ container: 9000 }],
      numInstances: 2,
      healthCheck: { path: '/', intervalSeconds: 0.5 },
      rollout: { drainSeconds: 5 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });

  after(async () => {
    await c?.close(['moving']);
  });

  it('drains a host under load with no failed request: every unit ends on the other host', async () => {
    assert.equal((await request('POST', `${paz.orchestrator}/services/moving/deploy`, {})).status, 201);
    const spread = await waitFor('both instances healthy, one per host', async () => {
      const us = await units();
      return us.length === 2 && us.every((u) => u.healthy) && new Set(us.map((u) => u.host)).size === 2 ? us : undefined;
    }, 60_000);
    assert.deepEqual(new Set(spread.map((u) => u.host)), new Set([agents.stay.id, agents.go.id]));
    await waitFor('the router serving both', async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 10; i++) seen.add(await viaRouter(routerPort, 'moving.paz').then((r) => r.body).catch(() => ''));
      return seen.size === 2 && [...seen].every((b) => b.startsWith('hello from moving'));
    }, 30_000);

    const load = new Load(routerPort, 'moving.paz');
    load.start();
    await new Promise((r) => setTimeout(r, 1000));
    const started = Date.now();
    const drained = await cli(['host', 'drain', agents.go.id.slice(0, 10), '--wait']);
    const seconds = (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 1000));
    await load.stop();
    console.log(`# drain: ${seconds.toFixed(1)} s; requests ok ${load.ok}, failed ${load.failed}; answered by ${JSON.stringify(Object.fromEntries(load.bodies))}`);
    console.log(drained.stdout.replace(/^/gm, '# cli: '));
    assert.equal(drained.code, 0, drained.stderr + drained.stdout);
    assert.match(drained.stdout, new RegExp(`^host ${agents.go.id}: drained; no new units go there`, 'm'));
    assert.match(drained.stdout, /unit(s)? left, moving$/m, 'progress while units move');
    assert.match(drained.stdout, new RegExp(`^host ${agents.go.id}: drained, no units left$`, 'm'));
    assert.equal(load.failed, 0, `failed requests: ${load.failures.slice(0, 5).join(' | ')}`);
    assert.ok(load.ok > 50, `requests went through (${load.ok})`);
    const after = await units();
    assert.equal(after.length, 2);
    assert.ok(after.every((u) => u.host === agents.stay.id && u.healthy), JSON.stringify(after));

    const hosts = await cli(['hosts']);
    assert.match(hosts.stdout, /\bDRAIN\b/);
    assert.match(hosts.stdout, new RegExp(`^${agents.go.id} .* DRAINED\\s*$`, 'm'));
    const health = (await request('GET', `${paz.orchestrator}/cluster/hosts/${agents.go.id}/health`)).body;
    assert.equal(health.drain.state, 'drained');
    assert.equal(health.drain.actor, 'anonymous');
    const journal = (await request('GET', `${paz.scheduler}/journal?events=host-drained`)).body.doc as Array<{ event: string; message: string }>;
    assert.match(journal[0].message, new RegExp(`^host ${agents.go.id} drained by anonymous`));
  });

  it('a deploy places nothing on the drained host; draining the other too is stuck and stops nothing', async () => {
    assert.equal((await request('POST', `${paz.orchestrator}/services/moving/deploy`, {})).status, 201);
    const v2 = await waitFor('version 2 healthy, the old one gone', async () => {
      const us = await units();
      return us.length === 2 && us.every((u) => u.version === 2 && u.healthy) ? us : undefined;
    }, 60_000);
    assert.ok(v2.every((u) => u.host === agents.stay.id), 'nothing new on the drained host');

    const stuck = await cli(['host', 'drain', agents.stay.id]);
    assert.equal(stuck.code, 1, stuck.stderr + stuck.stdout);
    assert.match(stuck.stdout, /2 units left; moving-2-\d+ and moving-2-\d+ stuck: no other eligible host \(every host is drained: paz host undrain ID/);
    await new Promise((r) => setTimeout(r, 2000));
    const still = await units();
    assert.deepEqual(still.map((u) => [u.name, u.host, u.healthy, u.drainingSince]), v2.map((u) => [u.name, agents.stay.id, true, undefined]), 'the stuck units keep running');
    const health = (await request('GET', `${paz.orchestrator}/cluster/hosts/${agents.stay.id}/health`)).body;
    assert.equal(health.status, 'degraded');
    assert.match(health.reasons.join(' '), /cannot move and keep running here: .*no other eligible host/);
    assert.equal((await cli(['host', 'undrain', agents.stay.id])).code, 0);
  });

  it('after undrain the host takes new units again; units that moved stay where they are', async () => {
    const r = await cli(['host', 'undrain', agents.go.id]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /undrained; eligible for new units \(units that moved away stay where they are\)/);
    await new Promise((res) => setTimeout(res, 2000));
    assert.ok((await units()).every((u) => u.host === agents.stay.id), 'no unit moved back by itself');
    const hosts = (await request('GET', `${paz.orchestrator}/cluster/hosts`)).body as Array<{ ID: string; drain?: unknown }>;
    assert.equal(hosts.find((h) => h.ID === agents.go.id)?.drain, undefined);
    assert.equal((await request('POST', `${paz.orchestrator}/services/moving/deploy`, {})).status, 201);
    const v3 = await waitFor('version 3 healthy', async () => {
      const us = await units();
      return us.length === 2 && us.every((u) => u.version === 3 && u.healthy) ? us : undefined;
    }, 60_000);
    assert.ok(v3.some((u) => u.host === agents.go.id), `a new unit on the undrained host: ${JSON.stringify(v3)}`);
  });

  it('says what is wrong in CLI terms: no id (exit 2), an unknown host (exit 1, 404)', async () => {
    const none = await cli(['host', 'drain']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /paz host drain needs a host id \(paz hosts lists them\)/);
    const verb = await cli(['host', 'drian', 'x']);
    assert.equal(verb.code, 2);
    const unknown = await cli(['host', 'drain', 'no-such-host']);
    assert.equal(unknown.code, 1, unknown.stderr);
    assert.match(unknown.stderr, /no host with id "no-such-host"/);
    assert.equal((await request('POST', `${paz.orchestrator}/cluster/hosts/no-such-host/undrain`)).status, 404);
  });
});
