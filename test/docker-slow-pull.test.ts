// test-lane: docker light
/**
 * A pull that takes a while shows as 'pulling' in the store before the unit runs. Transient states are held
 * back for a moment (unit-runner.ts reportTransient), so an instant pull is never written; a slow one must
 * be. The registry here is the test environment's real one, reached through a TCP proxy in this process that
 * holds every connection for PROXY_DELAY_MS before passing bytes on (a registry far away), so dockerd's
 * real pull takes seconds. Real dockerd, real docker driver, real agent reconciler, SQLite store.
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
import { Reconciler } from '../src/agent/reconciler.js';
import { keys } from '../src/core/keys.js';
import type { DesiredUnit, UnitStatus } from '../src/core/records.js';
import { dockerTestEnv, skipUnlessDocker, tmpDir } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';
import { tcpProxy } from './helpers/tcp-proxy.js';

const HOST = 'b'.repeat(32);
const SERVICE = `slowpull${process.pid}`;
/** how long the proxy holds each connection to the registry: several times the agent's transient hold (100 ms) */
const PROXY_DELAY_MS = 1500;

/** A TCP proxy to `target` that holds each new connection `delayMs` before forwarding anything. */
async function slowProxy(target: { host: string; port: number }, delayMs: number): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const proxy = await tcpProxy(target, {
    wire: (client, upstream) => {
      connections++;
      client.pause();
      const timer = setTimeout(() => {
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      }, delayMs);
      client.on('close', () => clearTimeout(timer));
    },
  });
  return { port: proxy.where as number, connections: () => connections, close: () => proxy.close() };
}

describe('a slow pull shows as pulling before the unit runs', skipUnlessDocker, () => {
  const dir = tmpDir('paz-slow-pull-');
  const store = new SqliteStore(join(dir, 'paz.db'));
  const session = new LeaseSession(store, { ttlSeconds: 30 });
  let proxy: Awaited<ReturnType<typeof slowProxy>> | undefined;
  let driver: DockerDriver | undefined;
  let docker: Dockerode | undefined;
  let reconciler: Reconciler | undefined;
  let cancel: (() => Promise<void>) | undefined;
  let image = '';
  /** every status written for the unit, in order, from the store's own events */
  const written: UnitStatus[] = [];

  before(async () => {
    const env = dockerTestEnv();
    const [registryHost, registryPort] = env.registry.split(':');
    proxy = await slowProxy({ host: registryHost!, port: Number(registryPort) }, PROXY_DELAY_MS);
    // the environment's hello image, through the proxy (dockerd pulls from 127.0.0.0/8 over plain HTTP)
    image = env.image1.replace(env.registry, `127.0.0.1:${proxy.port}`);
    driver = new DockerDriver({ dockerHost: env.dockerHost, requestTimeoutMs: 60_000 });
    docker = new Dockerode({ socketPath: env.socketPath });
    await session.start();
    await store.put(keys.latest(SERVICE), '1');
    const watch = await store.watch(keys.unitStatusPrefix(), (events) => {
      for (const e of events) if (e.type === 'put') written.push(JSON.parse(e.value) as UnitStatus);
    });
    cancel = () => watch.cancel();
    reconciler = new Reconciler({ store, driver, session, hostId: HOST, endpointAddress: '127.0.0.1', probeAddress: '127.0.0.1', logger: pino({ level: 'silent' }), resyncMs: 300 });
    await reconciler.start();
  });

  after(async () => {
    await cancel?.();
    // retired through the agent, then whatever is left by label, and the image name this test pulled
    await store.delete(keys.desiredUnit(SERVICE, `${SERVICE}-1-1`)).catch(() => undefined);
    await waitFor('the unit retired', async () => reconciler!.runners.size === 0 && reconciler!.retiring.size === 0, 30_000).catch(() => undefined);
    await reconciler?.stop();
    if (docker) {
      const left = await docker.listContainers({ all: true, filters: { label: [`paz.service=${SERVICE}`] } });
      await Promise.all(left.map((c) => docker!.getContainer(c.Id).remove({ force: true })));
      if (image) await docker.getImage(image).remove().catch(() => undefined);
    }
    await driver?.close();
    await proxy?.close();
    await session.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes pulling first, then running, with the image it pulled', async () => {
    // not already here under this name (a leftover of an aborted run would make the pull instant)
    await docker!.getImage(image).remove().catch(() => undefined);
    const unit: DesiredUnit = {
      unit: `${SERVICE}-1-1`,
      service: SERVICE,
      version: 1,
      instance: 1,
      host: HOST,
      createdAt: 1,
      spec: { image, ports: [{ container: 9000 }], env: {}, volumes: [], stopGraceSeconds: 1 },
    };
    await store.put(keys.desiredUnit(SERVICE, unit.unit), JSON.stringify(unit));
    await waitFor('the unit running', async () => written.some((s) => s.state === 'running' || s.state === 'healthy'), 120_000);
    const states = written.map((s) => s.state);
    console.log(`# states written: ${states.join(', ')}; ${proxy!.connections()} connections through the slow proxy`);
    assert.ok(proxy!.connections() > 0, 'the pull went through the slow proxy');
    assert.equal(states[0], 'pulling', `states written: ${states.join(', ')}`);
    assert.match(written[0]!.reason ?? '', new RegExp(`^pulling ${image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.equal(written[0]!.healthy, false);
    const running = written.find((s) => s.state === 'running' || s.state === 'healthy')!;
    assert.ok(running.containerId, JSON.stringify(running));
    assert.ok(states.indexOf('pulling') < states.indexOf(running.state), `states written: ${states.join(', ')}`);
  });
});
