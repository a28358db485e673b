// Issue 12, "Health at the three levels": `paz up` with the real dockerd and its router.
// - a service whose instances answer is healthy, and so are its host and the cluster (API and `paz health`);
// - a unit whose container is killed is named in the service's reasons (and the cluster's) until the agent
//   has restarted it and it is healthy again;
// - a retired unit whose container dockerd refuses to remove (paz up reaches dockerd through a proxy that answers
//   its removes with dockerd's busy-filesystem 500 while told to): the host is degraded, naming the unit and
//   dockerd's words, in the API and `paz health --host`, through a kill -9 and restart of paz up, until dockerd
//   removes again and the container is gone;
// - a new version whose image tag does not exist fails its deploy: the service is degraded, saying that the
//   deploy failed and why, while the version before keeps serving; `paz health web` exits 1 saying so.
// test-lane: docker light
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { type PazProcess, request, runPaz } from './helpers/paz-server.js';
import { skipUnlessDocker, tmpDir, type DockerTestEnv } from './helpers/env.js';
import { busyRemoveProxy, type BusyRemoveProxy } from './helpers/busy-remove-proxy.js';
import { startPazUp, type PazUp } from './helpers/paz-up.js';
import { waitFor } from './helpers/wait.js';
import { servesAlone } from './helpers/rollout.js';

describe('health at three levels, on paz up with Docker', skipUnlessDocker, () => {
  let up: PazUp;
  let env: DockerTestEnv;
  let paz: PazProcess;
  let docker: Docker;
  const get = async (path: string) => {
    const res = await request('GET', `${paz.orchestrator}${path}`);
    assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
    return res.body;
  };

  /** paz up's way to dockerd: passes everything on, but refuses removes as a busy dockerd does while told to */
  let proxy: BusyRemoveProxy | undefined;

  before(async () => {
    proxy = await busyRemoveProxy(join(tmpDir('paz-health-levels-'), 'docker.sock'));
    up = await startPazUp([], { dockerHost: `unix://${proxy.where}` });
    ({ env, docker, paz } = up);
    const created = await request('POST', `${paz.orchestrator}/services`, {
      name: 'web',
      dockerRepository: env.image1,
      ports: [{ container: 9000 }],
      numInstances: 2,
      rollout: { drainSeconds: 1, healthyDeadlineSeconds: 30, stopGraceSeconds: 1, maxSurge: 2 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await request('POST', `${paz.orchestrator}/services`, { name: 'idle', dockerRepository: env.image1 })).status, 201);
    assert.equal((await request('POST', `${paz.orchestrator}/services/web/deploy`, {})).status, 201);
    await servesAlone(paz.orchestrator, 'web', 1, 90_000);
  });
  after(async () => {
    if (proxy) proxy.refusing = false;
    await up?.close();
    await proxy?.close();
  });

  it('a service that answers is healthy, and so are its host and the cluster', async () => {
    const svc = await waitFor('web healthy', async () => {
      const h = await get('/services/web/health');
      return h.healthy ? h : undefined;
    });
    assert.equal(svc.status, 'healthy');
    assert.deepEqual(svc.reasons, []);
    assert.equal(svc.instances.desired, 2);
    assert.equal(svc.instances.healthy, 2);
    assert.equal(svc.deploy.state, 'succeeded');
    assert.equal(svc.units.length, 2);
    assert.ok(svc.units.every((u: { healthy: boolean; since: number }) => u.healthy && u.since > 0));

    const idle = await get('/services/idle/health');
    assert.equal(idle.healthy, true, 'a service never deployed has nothing to be unhealthy about');
    assert.equal(idle.deploy, null);
    assert.match(idle.summary, /never been deployed/);

    const hosts = await get('/cluster/hosts');
    assert.equal(hosts.length, 1);
    assert.equal(hosts[0].healthy, true, 'the fleet-shaped host view says healthy from the same verdict');
    assert.deepEqual(hosts[0].healthReasons, []);
    const host = await get(`/cluster/hosts/${hosts[0].ID}/health`);
    assert.equal(host.healthy, true);
    assert.equal(host.state, 'up');
    assert.deepEqual(host.problems, [], "the agent's dockerd answers and its router runs");
    assert.equal(host.units.placed, 2);

    const cluster = await get('/cluster/health');
    assert.equal(cluster.healthy, true, cluster.reasons.join('\n'));
    assert.equal(cluster.counts.hostsUp, 1);
    assert.deepEqual(cluster.services.map((s: { service: string; status: string }) => `${s.service}:${s.status}`), ['idle:healthy', 'web:healthy']);

    for (const args of [['health'], ['health', 'web'], ['health', '--host', hosts[0].ID]]) {
      const r = await runPaz([...args, '--url', paz.orchestrator]);
      assert.equal(r.code, 0, `paz ${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /: healthy \(/);
    }
    const json = await runPaz(['health', 'web', '--json', '--url', paz.orchestrator]);
    assert.equal(JSON.parse(json.stdout).status, 'healthy');
    const unknown = await runPaz(['health', 'nope', '--url', paz.orchestrator]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /nope/);
  });

  it('a unit whose container is killed is named, with since when, until it is restarted and healthy', async () => {
    const units = (await get('/services/web/units')) as Array<{ name: string; containerId: string }>;
    const victim = units[0];
    await docker.getContainer(victim.containerId).kill();
    const sick = await waitFor(`${victim.name} named in the service's reasons`, async () => {
      const h = await get('/services/web/health');
      return h.reasons.some((r: string) => r.includes(victim.name)) ? h : undefined;
    });
    console.log(`# reasons: ${sick.reasons.join(' | ')}`);
    assert.equal(sick.healthy, false);
    assert.equal(sick.status, 'degraded', 'the other instance still serves');
    assert.match(sick.reasons.find((r: string) => r.includes(victim.name)), new RegExp(`unit ${victim.name} has been unhealthy for \\d+ s \\(since \\d{4}-`));
    const unit = sick.units.find((u: { name: string }) => u.name === victim.name);
    assert.equal(unit.healthy, false);
    assert.ok(unit.since > 0, 'since when');

    const healed = await waitFor(`${victim.name} restarted and healthy`, async () => {
      const h = await get('/services/web/health');
      return h.healthy ? h : undefined;
    }, 60_000);
    assert.deepEqual(healed.reasons, []);
    assert.equal(healed.units.find((u: { name: string }) => u.name === victim.name).restarts, 1);
  });

  it("a retired unit's container that dockerd refuses to remove degrades its host, saying so, until it is gone", async () => {
    const webContainers = async () => (await docker.listContainers({ all: true, filters: { label: ['paz.service=web'] } })).map((c) => c.Names[0]!.slice(1));
    assert.equal((await webContainers()).length, 2);
    const [{ ID: hostId }] = await get('/cluster/hosts');
    proxy!.refusing = true;
    assert.equal((await request('POST', `${paz.orchestrator}/services/web/scale`, { numInstances: 1 })).status, 200);
    const degraded = await waitFor('the host degraded by the leftover', async () => {
      const h = await get(`/cluster/hosts/${hostId}/health`);
      return h.problems.some((p: { component: string }) => p.component === 'leftover') ? h : undefined;
    }, 60_000, 250);
    console.log(`# host reasons: ${degraded.reasons.join(' | ')}; containers: ${(await webContainers()).join(', ')}`);
    assert.equal(degraded.status, 'degraded', 'the host still runs its units');
    const reason = degraded.reasons.find((r: string) => /retired/.test(r));
    assert.match(reason, /^host \S+ .*: web-1-\d: retired, but its instance cannot be removed \(the agent keeps trying\): .*device or resource busy \(since \d{4}-/);
    assert.equal((await webContainers()).length, 2, 'the leftover is still there');
    const cluster = await get('/cluster/health');
    assert.equal(cluster.healthy, false);
    assert.ok(cluster.reasons.some((r: string) => r.includes('cannot be removed')), cluster.reasons.join('\n'));
    const cli = await runPaz(['health', '--host', hostId, '--url', paz.orchestrator]);
    assert.equal(cli.code, 1, `paz health --host: ${cli.stdout}${cli.stderr}`);
    assert.match(cli.stdout, /retired, but its instance cannot be removed/);

    // paz up killed -9 meanwhile (the retries die with it) and started again while dockerd still refuses: the
    // next agent finds the container of a unit no longer desired, keeps trying, and reports it in the same way
    await paz.kill();
    const refusedBefore = proxy!.refusedAt.length;
    await paz.start();
    // (the record the killed agent wrote may still be there: reported again only after the new agent's tries)
    const again = await waitFor('the restarted agent reporting the leftover after three refused removes', async () => {
      if (proxy!.refusedAt.length < refusedBefore + 3) return undefined;
      const h = (await request('GET', `${paz.orchestrator}/cluster/hosts/${hostId}/health`)).body;
      return h?.problems?.some((p: { component: string }) => p.component === 'leftover') ? h : undefined;
    }, 60_000, 250);
    assert.ok(again.reasons.some((r: string) => r.includes(reason.match(/web-1-\d/)![0])), again.reasons.join('\n'));
    assert.equal((await webContainers()).length, 2, 'still there');

    proxy!.refusing = false;
    await waitFor('the leftover removed and the host healthy again', async () => {
      const h = await get(`/cluster/hosts/${hostId}/health`);
      return h.healthy && (await webContainers()).length === 1;
    }, 60_000, 250);
    assert.equal((await request('POST', `${paz.orchestrator}/services/web/scale`, { numInstances: 2 })).status, 200);
    await waitFor('web healthy with 2 instances again', async () => {
      const h = await get('/services/web/health');
      return h.healthy && h.instances.healthy === 2;
    }, 60_000);
  });

  it('a version whose image tag does not exist: the deploy fails and the service is degraded, saying why', async () => {
    const deployed = await request('POST', `${paz.orchestrator}/services/web/deploy`, { tag: 'no-such-tag' });
    assert.equal(deployed.status, 201, JSON.stringify(deployed.body));
    const svc = await waitFor('the deploy of version 2 to fail', async () => {
      const h = await get('/services/web/health');
      return h.deploy?.state === 'failed' ? h : undefined;
    }, 90_000);
    console.log(`# reasons: ${svc.reasons.join(' | ')}`);
    assert.equal(svc.healthy, false);
    assert.equal(svc.status, 'degraded', 'version 1 keeps serving');
    assert.equal(svc.serving, 1);
    assert.match(svc.reasons[0], /^the deploy of version 2 failed at .*web-2-\d/);
    assert.match(svc.reasons[0], /no-such-tag|not found|manifest unknown/i, "the unit's own error");
    assert.equal(svc.deploy.version, 2);
    assert.match(svc.summary, /version 1 serves with 2 of 2 instances healthy; version 2 failed/);

    const cluster = await get('/cluster/health');
    assert.equal(cluster.status, 'degraded');
    assert.ok(cluster.reasons.some((r: string) => /^service web is degraded: the deploy of version 2 failed/.test(r)), cluster.reasons.join('\n'));

    const r = await runPaz(['health', 'web', '--url', paz.orchestrator]);
    assert.equal(r.code, 1, 'not healthy: exit 1');
    assert.match(r.stdout, /^service web: degraded \(/);
    assert.match(r.stdout, /^ {2}- the deploy of version 2 failed/m);
  });
});
