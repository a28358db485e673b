// test-lane: docker normal
/**
 * The paz/hello example image (examples/hello), as the test environment built and pushed it: what it
 * answers, its switches (HELLO_N, PORT, HEALTHY, SLOW_MS), its start line and its SIGTERM handling.
 * Uses dockerode directly, so these tests do not depend on the driver.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Dockerode from 'dockerode';
import { dockerTestEnv, httpGet, skipUnlessDocker, waitForHttp, type DockerTestEnv } from './helpers/env.js';

const TEST_LABEL = `paz.test.hello=${process.pid}`;
/** bound on each Docker API call, so a wedged daemon fails a test instead of stalling the run */
const apiDeadline = (extraMs = 0): AbortSignal => AbortSignal.timeout(60_000 + extraMs);

describe('hello example image', skipUnlessDocker, () => {
  let env: DockerTestEnv;
  let docker: Dockerode;
  let counter = 0;

  async function pull(image: string): Promise<void> {
    const stream = await docker.pull(image, { abortSignal: apiDeadline() });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null, output: Array<{ error?: string }>) => {
        const failed = output?.find((o) => o.error);
        if (err || failed) reject(err ?? new Error(failed?.error));
        else resolve();
      });
    });
  }

  /** runs the image with a published (Docker-picked) port; returns the container and that port */
  async function run(image: string, opts: { env?: string[]; init?: boolean; containerPort?: number } = {}) {
    const containerPort = opts.containerPort ?? 9000;
    const [key, value] = TEST_LABEL.split('=');
    const container = await docker.createContainer({
      name: `hellotest-${process.pid}-${++counter}`,
      Image: image,
      Env: opts.env ?? [],
      Labels: { [key]: value },
      ExposedPorts: { [`${containerPort}/tcp`]: {} },
      HostConfig: { Init: opts.init ?? false, PortBindings: { [`${containerPort}/tcp`]: [{ HostPort: '' }] } },
      abortSignal: apiDeadline(),
    });
    await container.start({ abortSignal: apiDeadline() });
    const info = await container.inspect({ abortSignal: apiDeadline() });
    const port = Number(info.NetworkSettings.Ports[`${containerPort}/tcp`][0].HostPort);
    await waitForHttp(`http://127.0.0.1:${port}/`);
    return { container, port };
  }

  /**
   * Waits (bounded) until the container's output matches: the server may answer a moment before its
   * start line has gone through Docker's log pipeline.
   */
  async function waitForLog(container: Dockerode.Container, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let text = '';
    while (Date.now() < deadline) {
      // the raw multiplexed bytes; the texts we look for sit inside single frames
      text = (await container.logs({ stdout: true, stderr: true, follow: false, abortSignal: apiDeadline() })).toString('utf8');
      if (pattern.test(text)) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.fail(`no ${pattern} in the logs within ${timeoutMs} ms: ${JSON.stringify(text)}`);
  }

  before(async () => {
    env = dockerTestEnv();
    docker = new Dockerode({ socketPath: env.socketPath });
    await pull(env.image1);
    await pull(env.image2);
  });

  after(async () => {
    if (!docker) return;
    const mine = await docker.listContainers({ all: true, filters: { label: [TEST_LABEL] }, abortSignal: apiDeadline() });
    await Promise.all(mine.map((c) => docker.getContainer(c.Id).remove({ force: true, abortSignal: apiDeadline() })));
  });

  test('tag 1 answers exactly "Hello World 1", tag 2 "Hello World 2"', async () => {
    const one = await run(env.image1);
    const two = await run(env.image2);
    assert.equal((await httpGet(`http://127.0.0.1:${one.port}/`)).body, 'Hello World 1\n');
    assert.equal((await httpGet(`http://127.0.0.1:${two.port}/`)).body, 'Hello World 2\n');
    await waitForLog(one.container, /Your server is listening at http:\/\/localhost:9000\//);
  });

  test('/health is 200 ok, and not 2xx with HEALTHY=false', async () => {
    const healthy = await run(env.image1);
    const h = await httpGet(`http://127.0.0.1:${healthy.port}/health`);
    assert.equal(h.status, 200);
    assert.equal(h.body.trim(), 'ok');
    const sick = await run(env.image1, { env: ['HEALTHY=false'] });
    const s = await httpGet(`http://127.0.0.1:${sick.port}/health`);
    assert.ok(s.status >= 300, `status ${s.status}`);
    assert.equal((await httpGet(`http://127.0.0.1:${sick.port}/`)).body, 'Hello World 1\n', 'still serves /');
  });

  test('/cgi-bin/slow answers "slow done" after SLOW_MS (or ?ms=)', async () => {
    const { port } = await run(env.image1, { env: ['SLOW_MS=700'] });
    let startedAt = Date.now();
    const slow = await httpGet(`http://127.0.0.1:${port}/cgi-bin/slow`, 30_000);
    assert.equal(slow.status, 200);
    assert.equal(slow.body, 'slow done\n');
    assert.ok(Date.now() - startedAt >= 650, 'it waited SLOW_MS before answering');
    startedAt = Date.now();
    assert.equal((await httpGet(`http://127.0.0.1:${port}/cgi-bin/slow?ms=1200`, 30_000)).body, 'slow done\n');
    assert.ok(Date.now() - startedAt >= 1150, 'it waited ?ms= before answering');
  });

  test('PORT moves the server and its start line', async () => {
    const { container, port } = await run(env.image1, { env: ['PORT=9100'], containerPort: 9100 });
    assert.equal((await httpGet(`http://127.0.0.1:${port}/`)).body, 'Hello World 1\n');
    await waitForLog(container, /listening at http:\/\/localhost:9100\//);
  });

  test('stops on SIGTERM by itself (no --init), exit code 0', async () => {
    const { container } = await run(env.image1, { init: false });
    const startedAt = Date.now();
    await container.stop({ t: 30, abortSignal: apiDeadline(30_000) });
    const info = await container.inspect({ abortSignal: apiDeadline() });
    assert.equal(info.State.ExitCode, 0, 'ended by its SIGTERM trap, not by SIGKILL (137)');
    assert.ok(Date.now() - startedAt < 25_000, 'well before the 30 s SIGKILL');
  });

  test('the image is tiny and the seed walkthrough alias is in the registry', async () => {
    const image = await docker.getImage(env.image1).inspect();
    assert.ok(image.Size < 5 * 1024 * 1024, `image size ${image.Size}`);
    const tags = await httpGet(`http://${env.registry}/v2/lukebond/contrived-service-1/tags/list`);
    assert.equal(tags.status, 200);
    assert.deepEqual((JSON.parse(tags.body) as { tags: string[] }).tags.sort(), ['0.0.1', 'latest']);
    const hello = JSON.parse((await httpGet(`http://${env.registry}/v2/paz/hello/tags/list`)).body) as { tags: string[] };
    assert.deepEqual(hello.tags.sort(), ['1', '2']);
  });
});
