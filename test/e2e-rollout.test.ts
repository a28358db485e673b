// Issue: router and zero-downtime deploys. `paz up` with its HAProxy router and the real dockerd: a service
// with 2 instances under constant HTTP load through the router is deployed to a new version, rolled back,
// scaled up and down, with zero failed requests; a version whose health check never passes fails within
// its deadline while the old one keeps answering; registry pushes deploy; router stats are served.
// test-lane: docker heavy slow
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { type PazProcess, request, pazBin } from './helpers/paz-server.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
import { skipUnlessDocker, type DockerTestEnv } from './helpers/env.js';
import { startPazUp, type PazUp } from './helpers/paz-up.js';
import { waitFor } from './helpers/wait.js';
import { Load, viaRouter } from './helpers/load.js';


describe('zero-downtime deploys through the router', skipUnlessDocker, () => {
  let up: PazUp;
  let env: DockerTestEnv;
  let paz: PazProcess;
  let docker: Docker;
  let routerPort: number;
  const rollout = (name: string) => up.rollout(name);
  const settled = (name: string, version: number) => up.settled(name, version);

  before(async () => {
    up = await startPazUp(['--domain', 'example.com']);
    ({ env, docker, paz, routerPort } = up);
    const created = await request('POST', `${paz.orchestrator}/services`, {
      name: 'web',
      description: 'hello behind the router',
      dockerRepository: env.image1,
      ports: [{ container: 9000 }],
      numInstances: 2,
      publicFacing: true,
      healthCheck: { path: '/health', intervalSeconds: 0.5, timeoutSeconds: 1, unhealthyThreshold: 2 },
      rollout: { drainSeconds: 2, healthyDeadlineSeconds: 40, stopGraceSeconds: 5, maxSurge: 1 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
  after(async () => {
    await up?.close();
  });

  it('serves the first version through the router by Host header; unknown hosts get a clear 404', async () => {
    // like kamal-proxy, `paz deploy --wait` returns once the new version is healthy and serving
    const cli = await run(process.execPath, [pazBin, 'deploy', 'web', '--wait', '--url', paz.orchestrator], { timeout: 60_000 });
    assert.match(cli.stdout, /deploying web version 1 [^]*\nweb version 1 is serving/);
    assert.equal((await rollout('web')).state, 'succeeded');
    await settled('web', 1);
    await waitFor('the router to route web.paz', async () => (await viaRouter(routerPort, 'web.paz')).body === 'Hello World 1\n');
    const upper = await viaRouter(routerPort, `WEB.PAZ:${routerPort}`);
    assert.equal(upper.body, 'Hello World 1\n');
    assert.equal((await viaRouter(routerPort, 'web.example.com')).body, 'Hello World 1\n', 'the cluster domain set with --domain');
    const unknown = await viaRouter(routerPort, 'nothing-here.paz');
    assert.equal(unknown.status, 404);
    assert.match(unknown.body, /No service answers to Host nothing-here\.paz/);
  });

  it('deploys, rolls back, scales and restarts under constant load with zero failed requests', async () => {
    const load = new Load(routerPort, 'web.paz');
    load.start();
    try {
      await new Promise((r) => setTimeout(r, 500));
      // new version: image tag 2 answers "Hello World 2"
      assert.equal((await request('POST', `${paz.orchestrator}/services/web/deploy`, { tag: '2' })).status, 201);
      // maxSurge 1: the second new instance waits until the first is healthy
      const starting = (await rollout('web')).units.filter((u: { version: number }) => u.version === 2);
      assert.equal(starting.length, 2);
      assert.match(starting[1].reason ?? '', /held: rollout\.maxSurge starts 1 new instance at a time/);
      await settled('web', 2);
      await waitFor('only version 2 answering', async () => (await viaRouter(routerPort, 'web.paz')).body === 'Hello World 2\n');
      const after2 = load.ok;
      // roll back to version 1's snapshot, deployed as version 3
      const rb = await request('POST', `${paz.orchestrator}/services/web/rollback`, {});
      assert.equal(rb.status, 201);
      assert.equal(rb.body.doc.version, 3);
      assert.equal(rb.body.doc.trigger.rollbackOf, 1);
      await settled('web', 3);
      await waitFor('version 1 answering again', async () => (await viaRouter(routerPort, 'web.paz')).body === 'Hello World 1\n');
      // scale up and down without a new version
      assert.equal((await request('POST', `${paz.orchestrator}/services/web/scale`, { numInstances: 3 })).status, 200);
      await waitFor('3 healthy instances', async () => (await rollout('web')).units.filter((u: { healthy: boolean }) => u.healthy).length === 3);
      assert.equal((await rollout('web')).version, 3, 'scaling made no new version');
      // a restart: every instance replaced by a fresh one of the same version's snapshot, the scaled count kept
      const rs = await request('POST', `${paz.orchestrator}/services/web/restart`, {});
      assert.equal(rs.status, 201, JSON.stringify(rs.body));
      assert.deepEqual([rs.body.doc.version, rs.body.doc.trigger.source, rs.body.doc.trigger.restartOf, rs.body.doc.config.numInstances], [4, 'restart', 3, 3]);
      await settled('web', 4);
      assert.deepEqual((await rollout('web')).units.map((u: { name: string }) => u.name).sort(), ['web-4-1', 'web-4-2', 'web-4-3']);
      assert.equal((await viaRouter(routerPort, 'web.paz')).body, 'Hello World 1\n', 'the same version answers');
      assert.equal((await request('PATCH', `${paz.orchestrator}/services/web/config/next`, { numInstances: 1 })).status, 200);
      await waitFor('1 instance left', async () => (await rollout('web')).units.length === 1, 60_000);
      assert.equal((await rollout('web')).version, 4, 'scaling made no new version');
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(load.ok > after2, 'traffic kept flowing');
    } finally {
      await load.stop();
    }
    console.log(`# load: ${load.summary()}`);
    assert.equal(load.failed, 0, `failed requests: ${load.failures.slice(0, 5).join(' | ')}`);
    assert.ok((load.bodies.get('Hello World 1') ?? 0) > 0 && (load.bodies.get('Hello World 2') ?? 0) > 0, 'answers switched from one version to the other');
    // the desired units are gone once drained; their containers then stop (SIGTERM, grace) and are removed
    await waitFor('old versions stopped and removed', async () => (await docker.listContainers({ all: true, filters: { label: ['paz.service=web'] } })).length === 1 || undefined, 30_000);
  });

  it('a version that never becomes healthy fails within its deadline; the old one keeps answering', async () => {
    assert.equal((await request('PATCH', `${paz.orchestrator}/services/web/config/next`, { env: { HEALTHY: 'false' }, rollout: { drainSeconds: 2, healthyDeadlineSeconds: 6, stopGraceSeconds: 5 } })).status, 200);
    const dep = await request('POST', `${paz.orchestrator}/services/web/deploy`, {});
    assert.equal(dep.status, 201);
    const version = dep.body.doc.version;
    const load = new Load(routerPort, 'web.paz', 5000);
    load.start();
    let failed;
    try {
      failed = await waitFor('the deploy to fail', async () => {
        const r = await rollout('web');
        return r.version === version && r.state === 'failed' ? r : undefined;
      }, 40_000);
    } finally {
      await load.stop();
    }
    // at its deadline, or earlier when the agent's restarts of the unhealthy unit add up to a crash loop
    assert.match(failed.reason ?? '', /not healthy within 6 s|crash-looping/);
    assert.match(failed.reason ?? '', /health|404/);
    assert.match(failed.reason ?? '', /version 4 keeps serving/);
    assert.equal(load.failed, 0, load.failures.slice(0, 3).join(' | '));
    assert.deepEqual([...load.bodies.keys()], ['Hello World 1']);
    const journal = await request('GET', `${paz.scheduler}/journal?service=web&all=true`);
    const last = journal.body.doc[0];
    assert.equal(last.event, 'deploy-failed');
    assert.equal(last.version, version);
    assert.equal(last.message, failed.reason);
    await waitFor('the failed version stopped', async () => (await docker.listContainers({ all: true, filters: { label: [`paz.version=${version}`] } })).length === 0 || undefined, 30_000);
  });

  it('a registry push notification deploys the pushed tag', async () => {
    await request('PATCH', `${paz.orchestrator}/services/web/config/next`, { env: {}, rollout: { drainSeconds: 1, healthyDeadlineSeconds: 40 } });
    const repo = env.image1.slice(env.registry.length + 1).replace(/:1$/, '');
    const res = await request('POST', `${paz.scheduler}/hooks/registry`, {
      events: [
        { action: 'pull', target: { repository: repo, tag: '1' }, request: { host: env.registry } },
        { action: 'push', target: { repository: repo, tag: '2', mediaType: 'application/vnd.docker.distribution.manifest.v2+json' }, request: { host: env.registry } },
      ],
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.deployed.length, 1);
    assert.equal(res.body.deployed[0].image, env.image2);
    await settled('web', res.body.deployed[0].version);
    await waitFor('version 2 answering', async () => (await viaRouter(routerPort, 'web.paz')).body === 'Hello World 2\n');
  });

  it('serves router statistics per service and unit', async () => {
    const lbs = await request('GET', `${paz.orchestrator}/cluster/load-balancers`);
    assert.equal(lbs.status, 200);
    const web = lbs.body[0].router.services.find((s: { name: string }) => s.name === 'web');
    assert.ok(web.totalRequests > 0);
    assert.ok(web.servers.length >= 1);
    assert.ok(lbs.body[0].router.unknownHostRequests >= 1);
  });
});
