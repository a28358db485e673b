// Issue: deployed services really run. `paz up` on a fresh data dir with the real dockerd of the test
// environment: the seed's contrived-service-1 answers "Hello World 1" on port 80 of its host, its logs show
// the server's start line, `paz units` lists it; a killed container is restarted; a killed agent comes back
// without duplicating containers; a missing image ends in a clear state.
// test-lane: docker port80 light
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { readdirSync, readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { PazProcess, request, pazBin } from './helpers/paz-server.js';
import { skipUnlessDocker, dockerTestEnv, type DockerTestEnv } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';

const run = promisify(execFile);


/** HAProxy masters (parent is not itself an haproxy) whose command line names a file under `dir`. */
function haproxyMastersUnder(dir: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (!cmd.includes('haproxy') || !cmd.includes(dir)) continue;
      const ppid = Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      const parent = readFileSync(`/proc/${ppid}/cmdline`, 'utf8');
      if (!parent.includes('haproxy')) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

async function httpText(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

describe('paz up runs the seed walkthrough for real', skipUnlessDocker, () => {
  let env: DockerTestEnv;
  let paz: PazProcess;
  let docker: Docker;
  const unitOf = async (name: string) => (await request('GET', `${paz.orchestrator}/cluster/units/${name}`)).body;

  before(async () => {
    env = dockerTestEnv();
    docker = new Docker({ socketPath: env.socketPath });
    paz = new PazProcess({ role: 'up', extraArgs: ['--driver', 'docker', '--agent-port', '0'], env: { DOCKER_HOST: env.dockerHost } });
    await paz.start();
  });
  after(async () => {
    await paz?.close();
    for (const c of await docker.listContainers({ all: true, filters: { label: ['paz.managed=true'] } })) {
      await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    }
  });

  it('deploys contrived-service-1 and it answers "Hello World 1" on port 80', async () => {
    const repo = env.contrivedServiceImage.replace(/:0\.0\.1$/, '');
    const created = await request('POST', `${paz.directory}/services`, {
      name: 'contrived-service-1',
      description: 'Test service',
      dockerImage: repo,
      ports: [{ container: 9000, host: 80 }],
      autoDeploy: 'always',
      numInstances: 1,
      conflictsWith: 'contrived-service-*',
    });
    assert.equal(created.status, 201);
    const hook = await request('POST', `${paz.scheduler}/hooks/deploy`, { serviceName: 'contrived-service-1', dockerRepository: `${repo}:0.0.1`, pushedAt: 0 });
    assert.deepEqual(hook.body, { statusCode: 200 });
    const unit = await waitFor('the unit to be healthy', async () => {
      const u = await unitOf('contrived-service-1-1-1');
      return u.healthy ? u : undefined;
    });
    assert.equal(unit.state, 'healthy');
    assert.equal(unit.activeState, 'active');
    assert.equal(unit.subState, 'running');
    // Port 80 belongs to the host's router: the unit gets a free port and is the router's default backend there.
    assert.match(unit.endpoint, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(unit.endpoint, '127.0.0.1:80');
    await waitFor('port 80 to answer', () => httpText('http://127.0.0.1:80/'));
    assert.equal(await httpText('http://127.0.0.1:80/'), 'Hello World 1\n');
    assert.equal(await httpText(`http://${unit.endpoint}/`), 'Hello World 1\n');
    const byName = await fetch('http://127.0.0.1:80/', { headers: { host: 'contrived-service-1.paz' } });
    assert.equal(await byName.text(), 'Hello World 1\n');
    const endpoints = await request('GET', `${paz.orchestrator}/cluster/endpoints`);
    assert.equal(endpoints.body['contrived-service-1']['1']['1'], unit.endpoint);
  });

  it('shows the server start line in the unit logs, through the API and `paz logs`', async () => {
    const res = await fetch(`${paz.orchestrator}/services/contrived-service-1/units/contrived-service-1-1-1/logs?tail=50`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /Your server is listening at http:\/\/localhost:9000\//);
    const cli = await run(process.execPath, [pazBin, 'logs', 'contrived-service-1-1', '--url', paz.orchestrator], { timeout: 20_000 });
    assert.match(cli.stdout, /Your server is listening/);
  });

  it('follows the logs: a request shows up while following', async () => {
    const controller = new AbortController();
    const res = await fetch(`${paz.orchestrator}/services/contrived-service-1/units/contrived-service-1-1-1/logs?follow=true&tail=0`, { signal: controller.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await httpText('http://127.0.0.1:80/followed-request-marker');
    let seen = '';
    const deadline = Date.now() + 15_000;
    while (!seen.includes('followed-request-marker') && Date.now() < deadline) {
      const { value, done } = await Promise.race([reader.read(), new Promise<{ value: undefined; done: true }>((r) => setTimeout(() => r({ value: undefined, done: true }), 2000))]);
      if (value) seen += Buffer.from(value).toString();
      if (done) await httpText('http://127.0.0.1:80/followed-request-marker');
    }
    controller.abort();
    assert.match(seen, /followed-request-marker/);
  });

  it('`paz units` lists the unit on its host, like fleetctl list-units', async () => {
    const { stdout } = await run(process.execPath, [pazBin, 'units', '--url', paz.orchestrator]);
    const [header, line] = stdout.trim().split('\n');
    assert.match(header, /^UNIT\s+MACHINE\s+ACTIVE\s+SUB/);
    assert.match(line, /^contrived-service-1-1-1\.service\s+\S+\/127\.0\.0\.1\s+active\s+running\s+healthy/);
  });

  it('restarts a killed container and counts the restart; paz logs -f follows it through the restart', async () => {
    const before = await unitOf('contrived-service-1-1-1');
    // followed from now on (no earlier lines): the restarted container's start line must come once
    const follower = spawn(process.execPath, [pazBin, 'logs', '-f', '--tail', '0', 'contrived-service-1-1', '--url', paz.orchestrator], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    follower.stdout!.on('data', (d) => (out += d));
    follower.stderr!.on('data', (d) => (err += d));
    try {
      await new Promise((r) => setTimeout(r, 1000));
      await docker.getContainer('contrived-service-1-1-1').kill();
      const after = await waitFor('the restart', async () => {
        const u = await unitOf('contrived-service-1-1-1');
        return u.restarts > before.restarts && u.healthy ? u : undefined;
      });
      assert.equal(after.restarts, before.restarts + 1);
      // killed from outside: said so, and the app's last line (its start line, or a request's) is not given as the cause
      assert.match(after.lastRestart?.why ?? '', /^killed by SIGKILL \(exit code 137\), not by its memory limit: something outside the app ended it \(docker kill, kill -9, the host out of memory\)$/);
      await waitFor('port 80 to answer again', () => httpText('http://127.0.0.1:80/'));
      await waitFor('the follower to print the restarted server', async () => /Your server is listening/.test(out), 20_000, 100);
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      follower.kill('SIGTERM');
    }
    assert.match(err, /--- contrived-service-1-1-1's output ended \(the app exited, or its host's agent went away\); following its next start, Ctrl-C to stop ---/);
    assert.match(err, /--- contrived-service-1-1-1 started again \(restart \d+\) ---/);
    assert.equal(out.match(/Your server is listening/g)?.length, 1, `the restarted run's start line once (the same container's earlier output is not repeated):\n${out}`);
  });

  it('survives kill -9 of paz up: no duplicate container, same unit identity', async () => {
    const before = await unitOf('contrived-service-1-1-1');
    await paz.kill();
    await paz.start();
    const after = await waitFor('the unit adopted and healthy', async () => {
      const u = await unitOf('contrived-service-1-1-1');
      return u.healthy && u.updatedAt > before.updatedAt ? u : undefined;
    });
    const containers = await docker.listContainers({ all: true, filters: { label: ['paz.unit=contrived-service-1-1-1'] } });
    assert.equal(containers.length, 1, 'one container for the unit');
    assert.equal(containers[0].Id, before.containerId, 'the running container was adopted, not replaced');
    assert.equal(after.containerId, before.containerId);
    assert.equal(after.restarts, before.restarts, 'the restart count is kept');
    assert.equal(haproxyMastersUnder(paz.dataDir).length, 1, 'the router HAProxy left by the killed process was replaced, not duplicated');
    assert.equal(await waitFor('port 80 to answer', () => httpText('http://127.0.0.1:80/')), 'Hello World 1\n');
  });

  it('serves host and service stats', async () => {
    const hosts = await request('GET', `${paz.orchestrator}/cluster/hosts`);
    assert.equal(hosts.body.length, 1);
    const stats = await waitFor('host stats', async () => {
      const s = await request('GET', `${paz.orchestrator}/cluster/hosts/${hosts.body[0].ID}/stats`);
      return s.status === 200 && s.body.latest ? s.body : undefined;
    });
    assert.ok(stats.latest.memory.totalBytes > 0);
    const svc = await waitFor('service stats', async () => {
      const s = await request('GET', `${paz.orchestrator}/services/contrived-service-1/stats`);
      return s.body.units?.['contrived-service-1-1-1']?.latest ? s.body : undefined;
    });
    assert.ok(svc.totals.memoryBytes > 0);
    // the CLI shows the same: the service's unit, and the host
    const service = await run(process.execPath, [pazBin, 'stats', 'contrived-service-1', '--url', paz.orchestrator], { timeout: 20_000 });
    console.log(service.stdout.trim());
    assert.match(service.stdout, /^UNIT +CPU +MEMORY +NET IN +NET OUT +SAMPLED$/m);
    // memory against the container's limit: with none set, Docker reports the host's memory as it (docker stats too)
    assert.match(service.stdout, /^contrived-service-1-1-1 +\d+\.\d% +\d+(\.\d)? (KiB|MiB)( \/ \d+(\.\d)? (MiB|GiB))? +\d+(\.\d)? (B|KiB|MiB) +\d+(\.\d)? (B|KiB|MiB) +\d+ s ago$/m);
    assert.match(service.stdout, /^total: CPU \d+\.\d%, memory \d+(\.\d)? (KiB|MiB), .*\(1 unit\)$/m);
    const host = await run(process.execPath, [pazBin, 'stats', '--url', paz.orchestrator], { timeout: 20_000 });
    console.log(host.stdout.trim());
    assert.match(host.stdout, new RegExp(`^${hosts.body[0].ID} +\\S+ +\\d+\\.\\d% of \\d+ cores? +[\\d.]+ [KMG]iB / [\\d.]+ GiB +[\\d.]+ [\\d.]+ [\\d.]+ +.*/s +.*/s +1 +\\d+ s ago$`, 'm'));
    const json = JSON.parse((await run(process.execPath, [pazBin, 'stats', 'contrived-service-1', '--json', '--url', paz.orchestrator], { timeout: 20_000 })).stdout);
    assert.equal(json.service, 'contrived-service-1');
  });

  it('a missing image fails its deploy at once with the unit\'s clear reason, and leaves nothing running', async () => {
    assert.equal((await request('POST', `${paz.orchestrator}/services`, { name: 'missing-image', dockerRepository: `${env.registry}/paz/does-not-exist:1` })).status, 201);
    assert.equal((await request('POST', `${paz.orchestrator}/services/missing-image/deploy`, {})).status, 201);
    // the default deadline is 300 s: only failing fast ends this wait
    const r = await waitFor('the failure', async () => {
      const d = (await request('GET', `${paz.orchestrator}/services/missing-image/rollout`)).body.doc;
      return d.state === 'failed' ? d : undefined;
    }, 60_000);
    assert.match(r.reason, /missing-image-1-1 failed: IMAGE_NOT_FOUND/);
    assert.match(r.reason, /no earlier version to fall back to/);
    await waitFor('its unit removed', async () => (await request('GET', `${paz.orchestrator}/services/missing-image/rollout`)).body.doc.units.length === 0 || undefined);
  });

  it('an unreachable registry ends in a failed unit naming the registry, in bounded time', async () => {
    assert.equal((await request('POST', `${paz.orchestrator}/services`, { name: 'dead-registry', dockerRepository: '127.0.0.1:1/paz/hello:1' })).status, 201);
    assert.equal((await request('POST', `${paz.orchestrator}/services/dead-registry/deploy`, {})).status, 201);
    const u = await waitFor('the failure', async () => {
      const v = await unitOf('dead-registry-1-1');
      return v.state === 'failed' ? v : undefined;
    }, 60_000);
    assert.match(u.reason, /REGISTRY_UNREACHABLE/);
    assert.match(u.reason, /127\.0\.0\.1:1/);
  });

  it('a unit whose health check fails is marked unhealthy, withdrawn and restarted', async () => {
    const created = await request('POST', `${paz.orchestrator}/services`, {
      name: 'sick-service',
      dockerRepository: env.image1,
      ports: [{ container: 9000 }],
      env: { HEALTHY: 'false' },
      // a short start-up grace (default 30 s): this case is about what happens after it
      healthCheck: { path: '/health', intervalSeconds: 0.5, unhealthyThreshold: 2, gracePeriodSeconds: 2 },
    });
    assert.equal(created.status, 201);
    assert.equal((await request('POST', `${paz.orchestrator}/services/sick-service/deploy`, {})).status, 201);
    const u = await waitFor('a restart for failing health checks', async () => {
      const v = await unitOf('sick-service-1-1');
      return v.restarts >= 1 ? v : undefined;
    });
    assert.equal(u.healthy, false);
    assert.match(u.reason, /health check failed|restart/);
    const endpoints = await request('GET', `${paz.orchestrator}/cluster/endpoints`);
    assert.equal(endpoints.body['sick-service'], undefined, 'never announced');
    assert.equal((await request('GET', `${paz.orchestrator}/cluster/units/sick-service-1-1/health`)).body.healthy, false);
  });

  it('deleting a service stops and removes its containers', async () => {
    assert.equal((await request('DELETE', `${paz.orchestrator}/services/contrived-service-1`)).status, 204);
    await waitFor('the container to go', async () => {
      const cs = await docker.listContainers({ all: true, filters: { label: ['paz.service=contrived-service-1'] } });
      return cs.length === 0 ? true : undefined;
    });
    await waitFor('port 80 to stop answering Hello World', async () => ((await httpText('http://127.0.0.1:80/')) === undefined ? true : undefined), 20_000);
  });
});
