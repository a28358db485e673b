// Issue 8, "Versions are reproducible": a deploy pins the image by digest, so a rollback runs the bytes of
// the version it goes back to even after the tag moved. `paz up` with the real dockerd and router, the test
// registry, a tag `stable` moved from hello:1's bytes to hello:2's between deploys, under load, no health path.
// test-lane: docker heavy
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { type PazProcess, request, pazBin } from './helpers/paz-server.js';
import { skipUnlessDocker, type DockerTestEnv } from './helpers/env.js';
import { startPazUp } from './helpers/paz-up.js';
import { waitFor } from './helpers/wait.js';
import { Load, viaRouter } from './helpers/load.js';

const run = promisify(execFile);

describe('a rollback runs the digest of the version it goes back to, after its tag moved', skipUnlessDocker, () => {
  let env: DockerTestEnv;
  let paz: PazProcess;
  let docker: Docker;
  let routerPort: number;
  let repo: string;
  const service = `pinned-${process.pid}`;
  const dockerCli = (...args: string[]) => run('docker', args, { env: { ...process.env, DOCKER_HOST: env.dockerHost }, timeout: 120_000 });
  /** makes `repo:stable` the bytes of `source` in the registry; returns the digest the push reported */
  const moveStableTo = async (source: string): Promise<string> => {
    await dockerCli('pull', source);
    await dockerCli('tag', source, `${repo}:stable`);
    const pushed = await dockerCli('push', `${repo}:stable`);
    const m = /digest: (sha256:[a-f0-9]{64})/.exec(pushed.stdout);
    assert.ok(m, `docker push printed no digest: ${pushed.stdout}`);
    return m[1];
  };
  const rollout = async () => (await request('GET', `${paz.orchestrator}/services/${service}/rollout`)).body.doc;
  const settled = (version: number) =>
    waitFor(`${service} version ${version} to serve alone`, async () => {
      const r = await rollout();
      if (r.version === version && r.state === 'failed') throw new Error(`deploy failed: ${r.reason}`);
      return r.version === version && r.state === 'succeeded' && r.units.length === 2 && r.units.every((u: { version: number }) => u.version === version) ? r : undefined;
    }, 120_000);
  const versions = async () => (await request('GET', `${paz.orchestrator}/services/${service}/versions`)).body.doc as Array<{ version: number; image: string; digest?: string }>;
  const containerImages = async (version: number) =>
    (await docker.listContainers({ filters: { label: [`paz.service=${service}`, `paz.version=${version}`] } })).map((c) => c.Image);

  before(async () => {
    ({ env, docker, paz, routerPort } = await startPazUp());
    repo = `${env.registry}/paz/app-${process.pid}`;
  });
  after(async () => {
    await request('DELETE', `${paz.orchestrator}/services/${service}`).catch(() => undefined);
    await waitFor('the service\'s containers to be removed', async () => (await docker.listContainers({ all: true, filters: { label: [`paz.service=${service}`] } })).length === 0, 60_000).catch(() => undefined);
    await paz?.close();
    for (const c of await docker.listContainers({ all: true, filters: { label: [`paz.service=${service}`] } })) {
      await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    }
  });

  it('deploys stable=1, stable=2, then rolls back to 1 under load with 0 failed requests', async () => {
    const digest1 = await moveStableTo(env.image1);
    const created = await request('POST', `${paz.orchestrator}/services`, {
      name: service,
      dockerRepository: `${repo}:stable`,
      ports: [{ container: 9000 }],
      numInstances: 2,
      rollout: { drainSeconds: 2, stopGraceSeconds: 5, healthyDeadlineSeconds: 60 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await request('POST', `${paz.orchestrator}/services/${service}/deploy`, {})).status, 201);
    await settled(1);
    await waitFor('the router to serve version 1', async () => (await viaRouter(routerPort, `${service}.paz`)).body === 'Hello World 1\n');
    assert.equal((await versions())[0].digest, digest1, 'version 1 records the digest the registry gave');
    assert.deepEqual(await containerImages(1), [`${repo}@${digest1}`, `${repo}@${digest1}`], 'instances run name@digest');

    const load = new Load(routerPort, `${service}.paz`);
    load.start();
    try {
      const digest2 = await moveStableTo(env.image2);
      assert.notEqual(digest2, digest1);
      assert.equal((await request('POST', `${paz.orchestrator}/services/${service}/deploy`, {})).status, 201);
      await settled(2);
      await waitFor('the router to serve version 2 only', async () => (await viaRouter(routerPort, `${service}.paz`)).body === 'Hello World 2\n');
      assert.equal((await versions())[1].digest, digest2);

      const rb = await request('POST', `${paz.orchestrator}/services/${service}/rollback`, {});
      assert.equal(rb.status, 201, JSON.stringify(rb.body));
      assert.equal(rb.body.doc.digest, digest1, 'the rollback keeps version 1\'s digest although stable now points to 2');
      await settled(3);
      await waitFor('the router to serve version 1\'s bytes again', async () => (await viaRouter(routerPort, `${service}.paz`)).body === 'Hello World 1\n');
      assert.deepEqual(await containerImages(3), [`${repo}@${digest1}`, `${repo}@${digest1}`]);
    } finally {
      await load.stop();
    }
    console.log(`digest rollback under load: ok=${load.ok} failed=${load.failed} bodies=${JSON.stringify(Object.fromEntries(load.bodies))}`);
    assert.equal(load.failed, 0, `failed requests: ${load.failures.slice(0, 5).join('; ')}`);
    assert.ok((load.bodies.get('Hello World 2') ?? 0) > 0 && (load.bodies.get('Hello World 1') ?? 0) > 0, 'the load saw both versions');

    // a replacement of a lost instance runs the same bytes: remove one container, the agent starts it again
    const [victim] = await docker.listContainers({ filters: { label: [`paz.service=${service}`, 'paz.version=3'] } });
    await docker.getContainer(victim.Id).remove({ force: true });
    await waitFor('the lost instance to be replaced', async () => {
      const images = await containerImages(3);
      return images.length === 2 && (await rollout()).units.every((u: { healthy: boolean }) => u.healthy) ? images : undefined;
    }, 60_000);
    assert.deepEqual(await containerImages(3), [`${repo}@${digest1}`, `${repo}@${digest1}`]);
    assert.equal((await viaRouter(routerPort, `${service}.paz`)).body, 'Hello World 1\n');

    const history = await run(process.execPath, [pazBin, 'history', service, '--url', paz.orchestrator], { timeout: 30_000 });
    console.log(history.stdout.trim());
    assert.match(history.stdout, new RegExp(`^1 .*${digest1}`, 'm'));
    assert.match(history.stdout, new RegExp(`^3 .*${digest1} +rollback to v1 by \\S+ +serving$`, 'm'), 'the rollback, of which version, and that it serves');
    assert.match(history.stdout, /^1 .* succeeded$/m);
  });
});
