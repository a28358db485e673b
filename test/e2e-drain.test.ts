// Issue 8, "Drains wait for requests, not for a clock" and "What users see": `paz up` with its HAProxy
// router and the real dockerd. A 9-second request to the example image's slow CGI, started on the old
// version right before a deploy (long enough to outlast the new version's start on a busy machine, so the old
// one is still draining when the new one is healthy), completes with 200 while keep-alive load runs; the old instance is stopped
// after that request ended and before its 30 s drain time ran out. `paz deploy --wait` prints its progress
// and returns once the old instance is stopped; a deploy that fails makes it exit 1 with the reason.
// No healthCheck.path: the app is probed as it is.
// test-lane: docker heavy
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { spawn } from 'node:child_process';
import type Docker from 'dockerode';
import { type PazProcess, request, pazBin } from './helpers/paz-server.js';
import { skipUnlessDocker, type DockerTestEnv } from './helpers/env.js';
import { startPazUp, type PazUp } from './helpers/paz-up.js';
import { waitFor } from './helpers/wait.js';
import { Load, viaRouter } from './helpers/load.js';

/** Runs the CLI; resolves with its exit code, output and when it exited. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string; endedAt: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [pazBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, endedAt: Date.now() }));
  });
}

describe('drains end when the last request on the old version ends', skipUnlessDocker, () => {
  let up: PazUp;
  let env: DockerTestEnv;
  let paz: PazProcess;
  let docker: Docker;
  let routerPort: number;

  before(async () => {
    up = await startPazUp();
    ({ env, paz, docker, routerPort } = up);
    const created = await request('POST', `${paz.orchestrator}/services`, {
      name: 'slow',
      description: 'hello with a slow CGI',
      dockerRepository: env.image1,
      ports: [{ container: 9000 }],
      numInstances: 1,
      rollout: { drainSeconds: 30, healthyDeadlineSeconds: 60, stopGraceSeconds: 5 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
  after(() => up?.close());

  it('paz deploy --wait prints progress lines and returns once the version serves', async () => {
    const r = await cli(['deploy', 'slow', '--wait', '--url', paz.orchestrator]);
    console.log(r.stdout.replace(/^/gm, '# cli: '));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^deploying slow version 1 /m);
    assert.match(r.stdout, /^slow version 1: healthy 0 of 1/m, 'progress before the instance is healthy');
    assert.match(r.stdout, /^slow version 1 is serving \(1 instance\); old instances drained and stopped$/m);
    await waitFor('slow.paz to answer', async () => (await viaRouter(routerPort, 'slow.paz')).body === 'Hello World 1\n');
  });

  it('a 9 s request in flight at the switch completes; the old instance stops after it, before drainSeconds', async () => {
    // the old version's stop, as dockerd reports it
    const events = (await docker.getEvents({ filters: { type: ['container'], event: ['die'], label: ['paz.service=slow', 'paz.version=1'] } })) as NodeJS.ReadableStream;
    let oldDiedAt: number | undefined;
    events.on('data', () => (oldDiedAt ??= Date.now()));
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 2 });
    const load = new Load(routerPort, 'slow.paz', 20_000, keepAlive);
    load.start();
    try {
      await new Promise((r) => setTimeout(r, 500));
      let longEndedAt = 0;
      const long = viaRouter(routerPort, 'slow.paz', '/cgi-bin/slow?ms=9000').finally(() => (longEndedAt = Date.now())); // under viaRouter's 10 s idle timeout
      await waitFor('the long request to reach version 1', async () => {
        const lbs = await request('GET', `${paz.orchestrator}/cluster/load-balancers`);
        const servers = lbs.body[0]?.router?.services?.find((s: { name: string }) => s.name === 'slow')?.servers ?? [];
        return servers.some((s: { name: string; currentSessions: number }) => s.name === 'slow-1-1' && s.currentSessions > 0);
      }, 10_000, 50);
      const deployedAt = Date.now();
      const deploy = await cli(['deploy', 'slow', '--tag', '2', '--wait', '--url', paz.orchestrator]);
      const answer = await long;
      console.log(deploy.stdout.replace(/^/gm, '# cli: '));
      assert.deepEqual({ status: answer.status, body: answer.body }, { status: 200, body: 'slow done\n' }, 'the request in flight at the switch completed');
      assert.equal(deploy.code, 0, deploy.stderr);
      await waitFor('dockerd to report the old container stopped', async () => oldDiedAt !== undefined, 10_000, 50);
      console.log(`# long request ended ${longEndedAt - deployedAt} ms after the deploy, the old instance stopped ${oldDiedAt! - deployedAt} ms after it, deploy --wait returned ${deploy.endedAt - deployedAt} ms after it`);
      assert.match(deploy.stdout, /draining 1 old instance \(slow-1-1\)/);
      assert.match(deploy.stdout, /^slow version 2 is serving \(1 instance\); old instances drained and stopped$/m);
      assert.ok(oldDiedAt! >= longEndedAt, 'the old instance stopped only after its last request ended');
      assert.ok(oldDiedAt! < deployedAt + 30_000, 'the old instance stopped before its drain time (30 s) ran out');
      assert.ok(deploy.endedAt >= oldDiedAt!, 'deploy --wait returned once the old instance was stopped');
      await waitFor('only version 2 answering', async () => (await viaRouter(routerPort, 'slow.paz')).body === 'Hello World 2\n');
    } finally {
      await load.stop();
      keepAlive.destroy();
      (events as unknown as { destroy(): void }).destroy();
    }
    console.log(`# load: ok=${load.ok} failed=${load.failed} bodies=${JSON.stringify(Object.fromEntries(load.bodies))}`);
    assert.equal(load.failed, 0, `failed requests: ${load.failures.slice(0, 5).join(' | ')}`);
    assert.ok((load.bodies.get('Hello World 1') ?? 0) > 0 && (load.bodies.get('Hello World 2') ?? 0) > 0, 'answers switched from one version to the other');
    const left = await docker.listContainers({ all: true, filters: { label: ['paz.service=slow'] } });
    assert.deepEqual(left.map((c) => c.Labels['paz.version']), ['2'], 'the old version was stopped and removed');
  });

  it('paz deploy --wait of a version that fails exits 1 with the reason', async () => {
    assert.equal((await request('PATCH', `${paz.orchestrator}/services/slow/config/next`, { rollout: { drainSeconds: 30, healthyDeadlineSeconds: 8, stopGraceSeconds: 5 } })).status, 200);
    const r = await cli(['deploy', 'slow', '--tag', 'no-such-tag', '--wait', '--url', paz.orchestrator]);
    console.log(`${r.stdout}${r.stderr}`.replace(/^/gm, '# cli: '));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^deploy of slow version 3 failed: .*slow-3-1/m, 'the reason names the unit');
    assert.match(r.stderr, /no-such-tag|not found|manifest unknown/i, "the unit's own error");
    assert.equal((await viaRouter(routerPort, 'slow.paz')).body, 'Hello World 2\n', 'the old version keeps serving');
  });
});
