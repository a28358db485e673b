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
import { join } from 'node:path';
import { BoundedDriver, DEFAULT_START_CONCURRENCY } from '../src/agent/bounded-driver.js';
import { dockerTestEnv, skipUnlessDocker } from './helpers/env.js';
import { DockerHost } from './helpers/docker-host.js';
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
  let registryProxy: Proxy | undefined;
  let dockerProxy: Proxy | undefined;
  let holdCreates = true;
  let host: DockerHost | undefined;
  let silentImage = '';
  const statusesOf = (unit: string) => host!.statuses(unit);

  before(async () => {
    const env = dockerTestEnv();
    const [registryHost, registryPort] = env.registry.split(':');
    // a registry that accepts connections and never answers
    registryProxy = await holdingProxy(0, { host: registryHost!, port: Number(registryPort) }, () => true, () => true);
    silentImage = env.image1.replace(env.registry, `127.0.0.1:${registryProxy.where}`);
    host = new DockerHost({
      tmpPrefix: 'paz-hanging-start-',
      hostId: HOST,
      services: [SERVICE],
      driver: async (dir) => {
        dockerProxy = await holdingProxy(join(dir, 'docker.sock'), { path: env.socketPath }, (chunk) => /^POST \S*\/containers\/create/.test(chunk.toString('latin1')), () => holdCreates);
        return { dockerHost: `unix://${dockerProxy.where}`, requestTimeoutMs: DEADLINE_MS, pullIdleTimeoutMs: DEADLINE_MS };
      },
    });
    host.images.push(silentImage);
    await host.start();
  });

  after(async () => {
    holdCreates = false;
    await host?.close();
    await registryProxy?.close();
    await dockerProxy?.close();
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
    await host!.docker.getImage(silentImage).remove().catch(() => undefined);
    const unit = host!.unit(SERVICE, 1, silentImage);
    await host!.place(unit);
    await assertRetriedWithBackoff(unit.unit, 'pulling', /^REGISTRY_UNREACHABLE: pull of .* made no progress for \d+ s/, 3);
    assert.ok(registryProxy!.held() >= 3, `every try reached the silent registry (${registryProxy!.held()} connections held)`);
  });

  it('a create that dockerd never answers: starting, then failed at the deadline, tried again later and later; runs once dockerd answers', async () => {
    const unit = host!.unit(SERVICE, 2, dockerTestEnv().image1);
    await host!.place(unit);
    await assertRetriedWithBackoff(unit.unit, 'starting', /^DAEMON_UNREACHABLE: cannot start .*: the Docker daemon did not answer in time/, 3);
    assert.ok(dockerProxy!.held() >= 3, `every try's create was held (${dockerProxy!.held()})`);
    assert.equal(statusesOf(unit.unit).some((s) => s.state === 'running' || s.state === 'healthy'), false);
    holdCreates = false;
    const running = await waitFor('the unit running once creates go through', async () => statusesOf(unit.unit).find((s) => s.state === 'running' || s.state === 'healthy'), 60_000);
    assert.ok(running.containerId, JSON.stringify(running));
  });
});

describe("creates that hang for one service do not hold back another service's start on the host", skipUnlessDocker, () => {
  const stuck = `stuckcreate${process.pid}`;
  const free = `freecreate${process.pid}`;
  let dockerProxy: Proxy | undefined;
  let host: DockerHost | undefined;
  const unitOf = (service: string, instance: number) => host!.unit(service, instance, dockerTestEnv().image1);
  let stuckUnits: ReturnType<typeof unitOf>[] = [];

  before(async () => {
    const env = dockerTestEnv();
    host = new DockerHost({
      tmpPrefix: 'paz-hanging-creates-',
      hostId: 'd'.repeat(32),
      services: [stuck, free],
      driver: async (dir) => {
        // dockerd as seen by this host's agent: every create of the stuck service is held, for good
        const createOfStuck = new RegExp(`^POST \\S*/containers/create\\?name=${stuck}-`);
        dockerProxy = await holdingProxy(join(dir, 'docker.sock'), { path: env.socketPath }, (chunk) => createOfStuck.test(chunk.toString('latin1')), () => true);
        // a deadline far longer than the test waits: the held creates do not fail (and free their slots) meanwhile
        return { dockerHost: `unix://${dockerProxy.where}`, requestTimeoutMs: 120_000 };
      },
      // the agent's driver as agent.ts makes it
      wrap: (driver) => new BoundedDriver(driver),
    });
    await host.start();
    stuckUnits = Array.from({ length: DEFAULT_START_CONCURRENCY }, (_, i) => unitOf(stuck, i + 1));
  });

  after(async () => {
    for (const u of host ? [...stuckUnits, unitOf(free, 1)] : []) await host!.unplace(u).catch(() => undefined);
    // the held creates fail once the proxy closes their connections; nothing of them reached dockerd
    await dockerProxy?.close();
    await host?.close();
  });

  it(`${DEFAULT_START_CONCURRENCY} creates held unanswered: another service's unit still starts and runs, before any of them fails`, async () => {
    for (const u of stuckUnits) await host!.place(u);
    await waitFor(`all ${stuckUnits.length} creates held`, async () => dockerProxy!.held() >= stuckUnits.length, 60_000, 50);
    const heldAt = Date.now();
    const other = unitOf(free, 1);
    await host!.place(other);
    const running = await waitFor(`${other.unit} running while the creates hang`, async () => host!.statuses(other.unit).find((st) => st.state === 'running' || st.state === 'healthy'), 60_000, 50);
    console.log(`# ${other.unit} ${running.state} ${Date.now() - heldAt} ms after ${stuckUnits.length} creates were held (the driver's deadline: 120 s)`);
    assert.ok(running.containerId, JSON.stringify(running));
    // the stuck units were still starting all along: the other unit did not get in through a failure of theirs
    const failed = stuckUnits.filter((u) => host!.statuses(u.unit).some((st) => st.state === 'failed'));
    assert.deepEqual(failed.map((u) => u.unit), []);
    assert.equal(dockerProxy!.held(), stuckUnits.length, 'no stuck create was tried again');
  });
});
