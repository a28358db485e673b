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
import { dockerTestEnv, skipUnlessDocker } from './helpers/env.js';
import { DockerHost } from './helpers/docker-host.js';
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
  let proxy: Awaited<ReturnType<typeof slowProxy>> | undefined;
  let host: DockerHost | undefined;
  let image = '';

  before(async () => {
    const env = dockerTestEnv();
    const [registryHost, registryPort] = env.registry.split(':');
    proxy = await slowProxy({ host: registryHost!, port: Number(registryPort) }, PROXY_DELAY_MS);
    // the environment's hello image, through the proxy (dockerd pulls from 127.0.0.0/8 over plain HTTP)
    image = env.image1.replace(env.registry, `127.0.0.1:${proxy.port}`);
    host = new DockerHost({ tmpPrefix: 'paz-slow-pull-', hostId: HOST, services: [SERVICE], driver: () => ({ dockerHost: env.dockerHost, requestTimeoutMs: 60_000 }) });
    host.images.push(image);
    await host.start();
  });

  after(async () => {
    await host?.close();
    await proxy?.close();
  });

  it('writes pulling first, then running, with the image it pulled', async () => {
    // not already here under this name (a leftover of an aborted run would make the pull instant)
    await host!.docker.getImage(image).remove().catch(() => undefined);
    const unit = host!.unit(SERVICE, 1, image);
    await host!.place(unit);
    await waitFor('the unit running', async () => host!.statuses(unit.unit).some((s) => s.state === 'running' || s.state === 'healthy'), 120_000);
    const written = host!.statuses(unit.unit);
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
