// test-lane: docker light
/**
 * A start that never finishes must not leave a unit hanging forever. Two units on the real dockerd, real
 * docker driver and real agent reconciler (SQLite store), each stuck at one step:
 * - its pull hangs: the image is pulled through a TCP proxy that accepts dockerd's connection to the
 *   registry and never answers (a registry that went silent);
 * - its create hangs: the driver reaches dockerd through a unix-socket proxy that passes every call on
 *   except `POST /containers/create`, which it holds unanswered (a daemon wedged on a create).
 * Each must show its step ('pulling' / 'starting', written once it lasts the transient hold of 100 ms),
 * then fail at the driver's deadline (a short one here; 2 minutes by default), and be tried again with a
 * growing delay (core/backoff.ts through health-policy's restartDelayMs: 1 s, 2 s, 4 s …), not hang. Once
 * the create goes through again, the unit runs.
 *
 * And creates that hang for one service must not hold back the others' starts on the host: the agent's
 * BoundedDriver runs 8 starts at once, and 8 creates held for the driver's whole deadline used to take every
 * slot until then.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import Dockerode from 'dockerode';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { LeaseSession } from '../src/state/lease-session.js';
import { DockerDriver } from '../src/agent/drivers/docker/docker-driver.js';
import { BoundedDriver, DEFAULT_START_CONCURRENCY } from '../src/agent/bounded-driver.js';
import { Reconciler } from '../src/agent/reconciler.js';
import { keys } from '../src/core/keys.js';
import type { DesiredUnit, UnitStatus } from '../src/core/records.js';
import { dockerTestEnv, skipUnlessDocker, tmpDir } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';
import { tcpProxy } from './helpers/tcp-proxy.js';

const HOST = 'c'.repeat(32);
const SERVICE = `hangstart${process.pid}`;
/** the driver's deadline for one call and for a silent pull (default 2 minutes); generous enough for a busy dockerd's ordinary calls */
const DEADLINE_MS = 2500;

interface Proxy {
  where: string | number;
  /** requests (or connections) held unanswered so far */
  held: () => number;
  close(): Promise<void>;
}

/**
 * A proxy on `listen` (a port on 127.0.0.1 or a unix socket path) to `target`. A connection whose bytes from
 * the client match `hold` while `holding()` is true is held: none of its bytes go on, nothing comes back.
 */
async function holdingProxy(listen: string | 0, target: { path: string } | { host: string; port: number }, hold: (chunk: Buffer) => boolean, holding: () => boolean): Promise<Proxy> {
  let held = 0;
  const proxy = await tcpProxy(target, {
    ...(listen === 0 ? {} : { listen }),
    wire: (client, upstream) => {
      let stuck = false;
      client.on('data', (chunk: Buffer) => {
        if (!stuck && holding() && hold(chunk)) {
          stuck = true;
          held++;
        }
        if (!stuck) upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (!stuck) client.write(chunk);
      });
    },
  });
  return { where: proxy.where, held: () => held, close: () => proxy.close() };
}

describe('a start that hangs shows its step, fails at the deadline and is tried again with backoff', skipUnlessDocker, () => {
  const dir = tmpDir('paz-hanging-start-');
  const store = new SqliteStore(join(dir, 'paz.db'));
  const session = new LeaseSession(store, { ttlSeconds: 30 });
  let registryProxy: Proxy | undefined;
  let dockerProxy: Proxy | undefined;
  let holdCreates = true;
  let driver: DockerDriver | undefined;
  let docker: Dockerode | undefined;
  let reconciler: Reconciler | undefined;
  let cancel: (() => Promise<void>) | undefined;
  let silentImage = '';
  /** every status written, by unit, in order, with the time it was seen */
  const written = new Map<string, Array<UnitStatus & { seenAt: number }>>();
  const statusesOf = (unit: string) => written.get(unit) ?? [];
  const unitNamed = (instance: number, image: string): DesiredUnit => ({
    unit: `${SERVICE}-1-${instance}`,
    service: SERVICE,
    version: 1,
    instance,
    host: HOST,
    createdAt: 1,
    spec: { image, ports: [{ container: 9000 }], env: {}, volumes: [], stopGraceSeconds: 1 },
  });

  before(async () => {
    const env = dockerTestEnv();
    const [registryHost, registryPort] = env.registry.split(':');
    // a registry that accepts connections and never answers
    registryProxy = await holdingProxy(0, { host: registryHost!, port: Number(registryPort) }, () => true, () => true);
    silentImage = env.image1.replace(env.registry, `127.0.0.1:${registryProxy.where}`);
    dockerProxy = await holdingProxy(join(dir, 'docker.sock'), { path: env.socketPath }, (chunk) => /^POST \S*\/containers\/create/.test(chunk.toString('latin1')), () => holdCreates);
    driver = new DockerDriver({ dockerHost: `unix://${dockerProxy.where}`, requestTimeoutMs: DEADLINE_MS, pullIdleTimeoutMs: DEADLINE_MS });
    docker = new Dockerode({ socketPath: env.socketPath });
    await session.start();
    await store.put(keys.latest(SERVICE), '1');
    const watch = await store.watch(keys.unitStatusPrefix(), (events) => {
      for (const e of events) {
        if (e.type !== 'put') continue;
        const s = JSON.parse(e.value) as UnitStatus;
        written.set(s.unit, [...statusesOf(s.unit), { ...s, seenAt: Date.now() }]);
      }
    });
    cancel = () => watch.cancel();
    reconciler = new Reconciler({ store, driver, session, hostId: HOST, endpointAddress: '127.0.0.1', probeAddress: '127.0.0.1', logger: pino({ level: 'silent' }), resyncMs: 300 });
    await reconciler.start();
  });

  after(async () => {
    holdCreates = false;
    await cancel?.();
    for (const i of [1, 2]) await store.delete(keys.desiredUnit(SERVICE, `${SERVICE}-1-${i}`)).catch(() => undefined);
    await waitFor('the units retired', async () => reconciler!.runners.size === 0 && reconciler!.retiring.size === 0, 30_000).catch(() => undefined);
    await reconciler?.stop();
    if (docker) {
      const left = await docker.listContainers({ all: true, filters: { label: [`paz.service=${SERVICE}`] } });
      await Promise.all(left.map((c) => docker!.getContainer(c.Id).remove({ force: true })));
      if (silentImage) await docker.getImage(silentImage).remove().catch(() => undefined);
    }
    await driver?.close();
    await registryProxy?.close();
    await dockerProxy?.close();
    await session.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The times the unit was written `state` anew (a change from another state), after it was first written. */
  const entriesInto = (unit: string, state: string) => statusesOf(unit).filter((s, i, all) => s.state === state && all[i - 1]?.state !== state);

  /** The unit failed `times` times, each failure after its step was shown, with growing gaps between the tries. */
  async function assertRetriedWithBackoff(unit: string, step: string, reason: RegExp, times: number): Promise<void> {
    await waitFor(`${unit} failed ${times} times`, async () => entriesInto(unit, 'failed').length >= times, 60_000, 50);
    const states: string[] = statusesOf(unit).map((s) => s.state);
    // only its steps (a start comes after a pull, shown when the pull lasts) and failures: never running, never stuck
    assert.deepEqual([...new Set(states)].filter((s) => !['pulling', step, 'failed'].includes(s)), [], `${unit}: ${states.join(', ')}`);
    assert.ok(states.indexOf(step) >= 0 && states.indexOf(step) < states.indexOf('failed'), `${unit} shows ${step} before it fails: ${states.join(', ')}`);
    const failures = entriesInto(unit, 'failed');
    for (const f of failures) assert.match(f.reason ?? '', reason, `${unit}: ${f.reason}`);
    // each try shows its step again before it fails
    const steps = entriesInto(unit, step);
    assert.ok(steps.length >= times, `${unit}: each try shows ${step}: ${states.join(', ')}`);
    // tried again with backoff: each wait between a failure and the next try is longer than the one before
    const waits = failures.slice(0, -1).map((f) => steps.find((s) => s.seenAt > f.seenAt)!.seenAt - f.seenAt);
    console.log(`# ${unit}: ${states.join(', ')}; waits before each retry: ${waits.join(', ')} ms`);
    for (let i = 1; i < waits.length; i++) assert.ok(waits[i]! > waits[i - 1]! + 500, `${unit}: the retries come with growing delays: ${waits.join(', ')} ms`);
    assert.ok(waits[0]! >= 800, `${unit}: not retried at once: ${waits.join(', ')} ms`);
  }

  it('a pull from a registry that never answers: pulling, then failed at the deadline, tried again later and later', async () => {
    await docker!.getImage(silentImage).remove().catch(() => undefined);
    const unit = unitNamed(1, silentImage);
    await store.put(keys.desiredUnit(SERVICE, unit.unit), JSON.stringify(unit));
    await assertRetriedWithBackoff(unit.unit, 'pulling', /^REGISTRY_UNREACHABLE: pull of .* made no progress for \d+ s/, 3);
    assert.ok(registryProxy!.held() >= 3, `every try reached the silent registry (${registryProxy!.held()} connections held)`);
  });

  it('a create that dockerd never answers: starting, then failed at the deadline, tried again later and later; runs once dockerd answers', async () => {
    const unit = unitNamed(2, dockerTestEnv().image1);
    await store.put(keys.desiredUnit(SERVICE, unit.unit), JSON.stringify(unit));
    await assertRetriedWithBackoff(unit.unit, 'starting', /^DAEMON_UNREACHABLE: cannot start .*: the Docker daemon did not answer in time/, 3);
    assert.ok(dockerProxy!.held() >= 3, `every try's create was held (${dockerProxy!.held()})`);
    assert.equal(statusesOf(unit.unit).some((s) => s.state === 'running' || s.state === 'healthy'), false);
    holdCreates = false;
    const running = await waitFor('the unit running once creates go through', async () => statusesOf(unit.unit).find((s) => s.state === 'running' || s.state === 'healthy'), 60_000);
    assert.ok(running.containerId, JSON.stringify(running));
  });
});

describe("creates that hang for one service do not hold back another service's start on the host", skipUnlessDocker, () => {
  const dir = tmpDir('paz-hanging-creates-');
  const store = new SqliteStore(join(dir, 'paz.db'));
  const session = new LeaseSession(store, { ttlSeconds: 30 });
  const host = 'd'.repeat(32);
  const stuck = `stuckcreate${process.pid}`;
  const free = `freecreate${process.pid}`;
  let dockerProxy: Proxy | undefined;
  let driver: DockerDriver | undefined;
  let docker: Dockerode | undefined;
  let reconciler: Reconciler | undefined;
  let cancel: (() => Promise<void>) | undefined;
  const written = new Map<string, UnitStatus[]>();
  const unitOf = (service: string, instance: number): DesiredUnit => ({
    unit: `${service}-1-${instance}`,
    service,
    version: 1,
    instance,
    host,
    createdAt: 1,
    spec: { image: dockerTestEnv().image1, ports: [{ container: 9000 }], env: {}, volumes: [], stopGraceSeconds: 1 },
  });
  const stuckUnits = Array.from({ length: DEFAULT_START_CONCURRENCY }, (_, i) => unitOf(stuck, i + 1));

  before(async () => {
    const env = dockerTestEnv();
    // dockerd as seen by this host's agent: every create of the stuck service is held, for good
    const createOfStuck = new RegExp(`^POST \\S*/containers/create\\?name=${stuck}-`);
    dockerProxy = await holdingProxy(join(dir, 'docker.sock'), { path: env.socketPath }, (chunk) => createOfStuck.test(chunk.toString('latin1')), () => true);
    // a deadline far longer than the test waits: the held creates do not fail (and free their slots) meanwhile
    driver = new DockerDriver({ dockerHost: `unix://${dockerProxy.where}`, requestTimeoutMs: 120_000 });
    docker = new Dockerode({ socketPath: env.socketPath });
    await session.start();
    for (const service of [stuck, free]) await store.put(keys.latest(service), '1');
    const watch = await store.watch(keys.unitStatusPrefix(), (events) => {
      for (const e of events) if (e.type === 'put') {
        const st = JSON.parse(e.value) as UnitStatus;
        written.set(st.unit, [...(written.get(st.unit) ?? []), st]);
      }
    });
    cancel = () => watch.cancel();
    // the agent's driver as agent.ts makes it
    reconciler = new Reconciler({ store, driver: new BoundedDriver(driver), session, hostId: host, endpointAddress: '127.0.0.1', probeAddress: '127.0.0.1', logger: pino({ level: 'silent' }), resyncMs: 300 });
    await reconciler.start();
  });

  after(async () => {
    await cancel?.();
    for (const u of [...stuckUnits, unitOf(free, 1)]) await store.delete(keys.desiredUnit(u.service, u.unit)).catch(() => undefined);
    // the held creates fail once the proxy closes their connections; nothing of them reached dockerd
    await dockerProxy?.close();
    await waitFor('the units retired', async () => reconciler!.runners.size === 0 && reconciler!.retiring.size === 0, 30_000).catch(() => undefined);
    await reconciler?.stop();
    if (docker) {
      for (const service of [stuck, free]) {
        const left = await docker.listContainers({ all: true, filters: { label: [`paz.service=${service}`] } });
        await Promise.all(left.map((c) => docker!.getContainer(c.Id).remove({ force: true })));
      }
    }
    await driver?.close();
    await session.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${DEFAULT_START_CONCURRENCY} creates held unanswered: another service's unit still starts and runs, before any of them fails`, async () => {
    for (const u of stuckUnits) await store.put(keys.desiredUnit(u.service, u.unit), JSON.stringify(u));
    await waitFor(`all ${stuckUnits.length} creates held`, async () => dockerProxy!.held() >= stuckUnits.length, 60_000, 50);
    const heldAt = Date.now();
    const other = unitOf(free, 1);
    await store.put(keys.desiredUnit(other.service, other.unit), JSON.stringify(other));
    const running = await waitFor(`${other.unit} running while the creates hang`, async () => written.get(other.unit)?.find((st) => st.state === 'running' || st.state === 'healthy'), 60_000, 50);
    console.log(`# ${other.unit} ${running.state} ${Date.now() - heldAt} ms after ${stuckUnits.length} creates were held (the driver's deadline: 120 s)`);
    assert.ok(running.containerId, JSON.stringify(running));
    // the stuck units were still starting all along: the other unit did not get in through a failure of theirs
    const failed = stuckUnits.filter((u) => written.get(u.unit)?.some((st) => st.state === 'failed'));
    assert.deepEqual(failed.map((u) => u.unit), []);
    assert.equal(dockerProxy!.held(), stuckUnits.length, 'no stuck create was tried again');
  });
});
