// test-lane: docker light
/**
 * The docker driver against the real dockerd of the test environment, with the hello image from the
 * environment's registry. Requests go to 127.0.0.1 of the environment's network namespace, where the
 * containers' ports are published.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import Dockerode from 'dockerode';
import { DriverError, type DriverEvent, type PullProgress, type UnitSpec } from '../src/agent/drivers/driver.js';
import { DockerDriver } from '../src/agent/drivers/docker/docker-driver.js';
import { toCreateOptions } from '../src/agent/drivers/docker/docker-mapping.js';
import {
  dockerTestEnv,
  freePort,
  httpGet,
  skipUnlessDocker,
  tmpDir,
  waitForHttp,
  type DockerTestEnv,
} from './helpers/env.js';

const START_LINE = 'Your server is listening at http://localhost:9000/';
// one service name per run, so leftovers of an aborted run never collide with this one
const SERVICE = `drvtest${process.pid}`;
/** bound on the test's own Docker API calls, so a wedged daemon fails a test instead of stalling the run */
const apiDeadline = (): AbortSignal => AbortSignal.timeout(60_000);

function unitSpec(version: number, instance: number, image: string, over: Partial<UnitSpec> = {}): UnitSpec {
  return {
    unit: `${SERVICE}-${version}-${instance}`,
    service: SERVICE,
    version,
    instance,
    image,
    ports: [{ container: 9000 }],
    env: {},
    volumes: [],
    ...over,
  };
}

/** resolves when `predicate` holds, polling every 200 ms; fails after timeoutMs */
async function eventually<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Reads lines from an object-mode log stream until `done` says so (or the stream ends), bounded. The
 * stream is paused again afterwards, so lines arriving before the next call wait for it (a flowing
 * stream without 'data' listeners would drop them).
 */
async function readLines(stream: Readable, done: (lines: string[]) => boolean, timeoutMs = 30_000): Promise<{ lines: string[]; ended: boolean }> {
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`log stream: condition not met within ${timeoutMs} ms; got ${JSON.stringify(lines)}`));
    }, timeoutMs);
    const onData = (line: string): void => {
      lines.push(line);
      if (done(lines)) finish(false);
    };
    const onEnd = (): void => finish(true);
    const cleanup = (): void => {
      clearTimeout(timer);
      stream.pause();
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', reject);
    };
    const finish = (ended: boolean): void => {
      cleanup();
      resolve({ lines, ended });
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', reject);
    stream.resume();
  });
}

async function rejectsWithCode(promise: Promise<unknown>, code: DriverError['code']): Promise<DriverError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof DriverError, `expected a DriverError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected a ${code} DriverError, but it succeeded`);
}

describe('docker driver (real dockerd)', skipUnlessDocker, () => {
  let env: DockerTestEnv;
  let driver: DockerDriver;
  let docker: Dockerode;

  before(async () => {
    env = dockerTestEnv();
    // a wedged daemon fails the calls after a minute instead of stalling the whole run
    driver = new DockerDriver({ dockerHost: env.dockerHost, requestTimeoutMs: 60_000 });
    docker = new Dockerode({ socketPath: env.socketPath });
    await driver.ping();
  });

  after(async () => {
    await driver?.close();
    if (!docker) return;
    const mine = await docker.listContainers({ all: true, filters: { label: [`paz.service=${SERVICE}`] }, abortSignal: apiDeadline() });
    await Promise.all(mine.map((c) => docker.getContainer(c.Id).remove({ force: true, abortSignal: apiDeadline() })));
  });

  test('pull fetches the image from the registry, reporting progress', async () => {
    // from a daemon without the image's layers, whatever ran before (another file may have pulled them under
    // another name or by digest): images in use by a container stay, and then the layer check below is skipped
    for (const img of await docker.listImages({ all: true, abortSignal: apiDeadline() })) {
      await docker.getImage(img.Id).remove({ force: true, abortSignal: apiDeadline() }).catch(() => undefined);
    }
    const hadImage = await driver.hasImage(env.image1);
    const progress: PullProgress[] = [];
    await driver.pull(env.image1, (p) => progress.push(p));
    assert.equal(await driver.hasImage(env.image1), true);
    const statuses = progress.map((p) => p.status);
    assert.ok(statuses.some((s) => /Digest: sha256:/.test(s)), `no digest line in ${JSON.stringify(statuses)}`);
    if (!hadImage) {
      assert.ok(statuses.some((s) => /Pull complete/.test(s)), `no layer was pulled: ${JSON.stringify(statuses)}`);
    }
    await driver.pull(env.image2);
    assert.equal(await driver.hasImage(env.image2), true);
  });

  test('a pull whose signal is already aborted fails without pulling', async () => {
    const err = await rejectsWithCode(driver.pull(env.image1, undefined, AbortSignal.abort()), 'PULL_FAILED');
    assert.match(err.message, /aborted/);
  });

  test('pulling a tag the registry does not have fails with IMAGE_NOT_FOUND', async () => {
    const missing = `${env.registry}/paz/hello:does-not-exist`;
    const err = await rejectsWithCode(driver.pull(missing), 'IMAGE_NOT_FOUND');
    assert.match(err.message, /does-not-exist/);
  });

  test('pulling from a registry nobody listens on fails with REGISTRY_UNREACHABLE, in bounded time', async () => {
    const port = await freePort();
    const bounded = new DockerDriver({ dockerHost: env.dockerHost, pullTimeoutMs: 60_000, pullIdleTimeoutMs: 60_000 });
    const startedAt = Date.now();
    const err = await rejectsWithCode(bounded.pull(`127.0.0.1:${port}/paz/hello:1`), 'REGISTRY_UNREACHABLE');
    assert.ok(err.message.includes(`127.0.0.1:${port}`), err.message);
    // Docker's own answer, not our timeout: the connection was refused
    assert.match(err.message, /connection refused/);
    assert.ok(Date.now() - startedAt < 60_000);
  });

  test('starting an image that is not on the host fails with IMAGE_NOT_FOUND and leaves nothing', async () => {
    const spec = unitSpec(9, 1, `${env.registry}/paz/never-pulled:1`);
    await rejectsWithCode(driver.start(spec), 'IMAGE_NOT_FOUND');
    assert.equal(await driver.inspect(spec.unit), undefined);
  });

  test('start with a fixed host port: the port answers Hello World 1', async () => {
    const port = await freePort();
    const spec = unitSpec(1, 1, env.image1, { ports: [{ container: 9000, host: port }] });
    const runtime = await driver.start(spec);
    assert.equal(runtime.unit, spec.unit);
    assert.equal(runtime.state, 'running');
    assert.deepEqual(runtime.ports, [{ container: 9000, host: port, protocol: 'tcp' }]);
    assert.equal(runtime.image, env.image1);
    assert.deepEqual([runtime.service, runtime.version, runtime.instance], [SERVICE, 1, 1]);
    const answer = await waitForHttp(`http://127.0.0.1:${port}/`);
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'Hello World 1\n');

    const info = await docker.getContainer(spec.unit).inspect({ abortSignal: apiDeadline() });
    assert.equal(info.HostConfig.Init, true);
    assert.equal(info.HostConfig.RestartPolicy?.Name, 'no');
    assert.equal(info.Config.Labels['paz.managed'], 'true');
    assert.equal(info.Config.Labels['paz.unit'], spec.unit);
  });

  test('without a host port Docker picks a free one, read back; env reaches the container', async () => {
    const spec = unitSpec(1, 2, env.image1, { env: { HELLO_N: '42' } });
    const runtime = await driver.start(spec);
    assert.equal(runtime.ports.length, 1);
    const host = runtime.ports[0].host;
    assert.ok(Number.isInteger(host) && host > 0, `host port ${host}`);
    assert.deepEqual((await driver.inspect(spec.unit))?.ports, runtime.ports);
    const answer = await waitForHttp(`http://127.0.0.1:${host}/`);
    assert.equal(answer.body, 'Hello World 42\n');
  });

  test('starting a running unit again with the same image keeps the container', async () => {
    const spec = unitSpec(1, 2, env.image1, { env: { HELLO_N: '42' } });
    const before = await driver.inspect(spec.unit);
    const again = await driver.start(spec);
    assert.equal(again.id, before?.id);
  });

  test('memory and CPU limits are applied', async () => {
    const spec = unitSpec(2, 1, env.image1, { memoryMb: 48, cpus: 0.25 });
    await driver.start(spec);
    const info = await docker.getContainer(spec.unit).inspect({ abortSignal: apiDeadline() });
    assert.equal(info.HostConfig.Memory, 48 * 1024 * 1024);
    assert.equal((info.HostConfig as { NanoCpus?: number }).NanoCpus, 250_000_000);
  });

  test('a bind mount (read-only) reaches the container', async () => {
    const dir = tmpDir('vol-');
    writeFileSync(join(dir, 'file.txt'), 'from the host\n');
    const spec = unitSpec(3, 1, env.image1, { volumes: [{ hostPath: dir, containerPath: '/www/vol', readOnly: true }] });
    const runtime = await driver.start(spec);
    const answer = await waitForHttp(`http://127.0.0.1:${runtime.ports[0].host}/vol/file.txt`);
    assert.equal(answer.body, 'from the host\n');
    const info = await docker.getContainer(spec.unit).inspect({ abortSignal: apiDeadline() });
    assert.deepEqual(info.HostConfig.Binds, [`${dir}:/www/vol:ro`]);
  });

  test('logs: tail has the start line; follow shows new stderr lines and ends when the container stops', async () => {
    const spec = unitSpec(4, 1, env.image1);
    const runtime = await driver.start(spec);
    const port = runtime.ports[0].host;
    await waitForHttp(`http://127.0.0.1:${port}/`);

    // the server may answer a moment before its start line has gone through Docker's log pipeline
    const tailLines = await eventually('the start line in the last 50 lines', async () => {
      const { lines, ended } = await readLines(await driver.logs(spec.unit, { tail: 50 }), () => false);
      assert.equal(ended, true, 'a non-follow log stream ends');
      return lines.includes(START_LINE) ? lines : undefined;
    });
    assert.ok(tailLines.length <= 50);

    const follow = await driver.logs(spec.unit, { follow: true });
    const first = await readLines(follow, (lines) => lines.includes(START_LINE));
    assert.equal(first.ended, false);
    // busybox httpd logs each request on stderr: it arrives through the same stream
    await httpGet(`http://127.0.0.1:${port}/health`);
    const more = await readLines(follow, (lines) => lines.some((l) => l.includes('url:/health')));
    assert.ok(more.lines.some((l) => l.includes('url:/health')));
    const closing = readLines(follow, () => false);
    await driver.stop(spec.unit, 10);
    assert.equal((await closing).ended, true, 'the follow stream ends when the container stops');
  });

  test('stats: CPU, memory and network numbers of running containers', async () => {
    const spec = unitSpec(1, 1, env.image1);
    const port = (await driver.inspect(spec.unit))!.ports[0].host;
    for (let i = 0; i < 3; i++) await httpGet(`http://127.0.0.1:${port}/`);
    const web = await driver.stats(spec.unit);
    assert.ok(web, 'stats of a running container');
    assert.equal(web.unit, spec.unit);
    assert.ok(web.memoryBytes > 0, `memory ${web.memoryBytes}`);
    assert.ok(web.networkRxBytes > 0 && web.networkTxBytes > 0, `network ${web.networkRxBytes}/${web.networkTxBytes}`);
    assert.ok(!Number.isNaN(Date.parse(web.at)));

    const busy = unitSpec(5, 1, env.image1, { command: ['sh', '-c', 'while :; do :; done'], cpus: 0.5, memoryMb: 32, ports: [] });
    await driver.start(busy);
    const s = await driver.stats(busy.unit);
    assert.ok(s && s.cpu > 0, `cpu ${s?.cpu}`);
    assert.equal(s.memoryLimitBytes, 32 * 1024 * 1024);
    await driver.remove(busy.unit);
    assert.equal(await driver.stats(busy.unit), undefined, 'no stats for a removed unit');
  });

  test('events: start, a docker kill as die with its exit code, OOM, destroy', async () => {
    const events: DriverEvent[] = [];
    const unsubscribe = await driver.events((e) => events.push(e));
    try {
      const spec = unitSpec(6, 1, env.image1, { ports: [] });
      await driver.start(spec);
      await eventually('start event', () => events.some((e) => e.unit === spec.unit && e.type === 'start'));
      await docker.getContainer(spec.unit).kill({ signal: 'SIGKILL', abortSignal: apiDeadline() });
      const die = await eventually('die event', () => events.find((e) => e.unit === spec.unit && e.type === 'die'));
      assert.equal(die.exitCode, 137);
      const runtime = await driver.inspect(spec.unit);
      assert.equal(runtime?.state, 'exited');
      assert.equal(runtime?.exitCode, 137);
      await driver.remove(spec.unit);
      await eventually('destroy event', () => events.some((e) => e.unit === spec.unit && e.type === 'destroy'));

      // a unit that outgrows its memory limit: the kernel kills it, Docker reports oom then die
      const hog = unitSpec(6, 2, env.image1, {
        ports: [],
        memoryMb: 16,
        command: ['sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a)'],
      });
      await driver.start(hog);
      await eventually('oom event', () => events.some((e) => e.unit === hog.unit && e.type === 'oom'));
      const hogDie = await eventually('die event of the OOM-killed unit', () => events.find((e) => e.unit === hog.unit && e.type === 'die'));
      assert.equal(hogDie.exitCode, 137);
      const hogState = await eventually('exited state', async () => {
        const r = await driver.inspect(hog.unit);
        return r?.state === 'exited' ? r : undefined;
      });
      assert.equal(hogState.oomKilled, true);
    } finally {
      unsubscribe();
    }
    const count = events.length;
    const other = unitSpec(6, 3, env.image1, { ports: [] });
    await driver.start(other);
    await driver.remove(other.unit);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(events.length, count, 'no events after unsubscribing');
  });

  test('stop is prompt: the hello server ends on SIGTERM, well before SIGKILL would come', async () => {
    const spec = unitSpec(1, 1, env.image1);
    const startedAt = Date.now();
    await driver.stop(spec.unit, 30);
    const elapsed = Date.now() - startedAt;
    const runtime = await driver.inspect(spec.unit);
    assert.equal(runtime?.state, 'exited');
    assert.notEqual(runtime?.exitCode, 137, 'it needed SIGKILL');
    assert.ok(elapsed < 25_000, `stop took ${elapsed} ms; SIGKILL comes at 30 s`);
    await driver.stop(spec.unit, 30); // already stopped: no-op
  });

  test('restart keeps the container; start replaces a stopped one', async () => {
    const spec = unitSpec(1, 1, env.image1);
    const stopped = await driver.inspect(spec.unit);
    assert.equal(stopped?.state, 'exited');
    const restarted = await driver.restart(spec.unit);
    assert.equal(restarted.id, stopped?.id);
    assert.equal(restarted.state, 'running');
    await driver.stop(spec.unit, 10);
    const replaced = await driver.start({ ...spec, ports: [] });
    assert.notEqual(replaced.id, stopped?.id);
    assert.equal(replaced.state, 'running');
    await rejectsWithCode(driver.restart(`${SERVICE}-99-1`), 'NOT_FOUND');
  });

  test('a container created but never started (agent killed in between) is listed, and start() leaves one container', async () => {
    const spec = unitSpec(8, 1, env.image1);
    // what a killed agent leaves: the unit's container, created with its labels, never started or recorded
    await docker.createContainer({ ...toCreateOptions(spec), abortSignal: apiDeadline() } as Dockerode.ContainerCreateOptions);
    const left = (await driver.list()).find((r) => r.unit === spec.unit);
    assert.equal(left?.state, 'created', 'the next agent sees it');
    const started = await driver.start(spec);
    assert.equal(started.state, 'running');
    const named = await docker.listContainers({ all: true, filters: { label: [`paz.unit=${spec.unit}`] }, abortSignal: apiDeadline() });
    assert.deepEqual(named.map((c) => c.Id), [started.id], 'one container for the unit');
    // a second start of the running unit (two reconcile passes) keeps that one container
    assert.equal((await driver.start(spec)).id, started.id);
    await driver.remove(spec.unit);
  });

  test('a taken host port fails with PORT_IN_USE and leaves no container behind', async () => {
    const port = await freePort();
    await driver.start(unitSpec(7, 1, env.image1, { ports: [{ container: 9000, host: port }] }));
    const second = unitSpec(7, 2, env.image1, { ports: [{ container: 9000, host: port }] });
    const err = await rejectsWithCode(driver.start(second), 'PORT_IN_USE');
    assert.match(err.message, new RegExp(String(port)));
    assert.equal(await driver.inspect(second.unit), undefined);
  });

  test('list adopts: a new driver finds every unit, running or not, with its identity', async () => {
    const fresh = new DockerDriver({ dockerHost: env.dockerHost });
    const mine = (await fresh.list()).filter((r) => r.service === SERVICE);
    const byUnit = new Map(mine.map((r) => [r.unit, r]));
    const mustHave = [`${SERVICE}-1-1`, `${SERVICE}-1-2`, `${SERVICE}-4-1`, `${SERVICE}-7-1`];
    for (const unit of mustHave) assert.ok(byUnit.has(unit), `${unit} missing from ${[...byUnit.keys()].join(', ')}`);
    assert.equal(byUnit.get(`${SERVICE}-1-2`)?.state, 'running');
    assert.equal(byUnit.get(`${SERVICE}-4-1`)?.state, 'exited');
    const web = byUnit.get(`${SERVICE}-1-2`)!;
    assert.deepEqual([web.service, web.version, web.instance, web.image], [SERVICE, 1, 2, env.image1]);
    assert.equal(web.ports[0].container, 9000);
    assert.deepEqual(mine.map((r) => r.unit), [...mine.map((r) => r.unit)].sort(), 'sorted by unit');
    await fresh.close();
  });

  test('remove deletes a unit; operations on missing units are no-ops or NOT_FOUND', async () => {
    const unit = `${SERVICE}-4-1`;
    await driver.remove(unit);
    assert.equal(await driver.inspect(unit), undefined);
    await driver.remove(unit);
    await driver.stop(unit, 1);
    assert.equal(await driver.stats(unit), undefined);
    await rejectsWithCode(driver.logs(unit, {}), 'NOT_FOUND');
  });
});
