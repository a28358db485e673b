// Issue 12, "a host's healthy reflects reality": `paz up` reaches dockerd through a Unix socket this test
// holds (a plain byte relay to the test environment's dockerd). With the relay closed, dockerd does not
// answer the agent: the agent says so at its next heartbeat and the host is unhealthy, naming its driver;
// with the relay open again, the host is healthy again.
// test-lane: docker light
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PazProcess, freePort, request } from './helpers/paz-server.js';
import { dockerTestEnv, skipUnlessDocker } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';

/** Relays a Unix socket to dockerd's, and can stop doing so (closing every connection it relays). */
class DockerRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(readonly path: string, private readonly target: string) {}
  open(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = createConnection(this.target);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    return new Promise((resolve, reject) => this.server!.once('error', reject).listen(this.path, () => resolve()));
  }
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise((r) => server.close(r));
  }
}

describe("a host whose dockerd does not answer is unhealthy, naming its driver", skipUnlessDocker, () => {
  const dir = mkdtempSync(join(tmpdir(), 'paz-relay-'));
  let relay: DockerRelay;
  let paz: PazProcess;
  const hostHealth = async () => {
    const hosts = (await request('GET', `${paz.orchestrator}/cluster/hosts`)).body;
    assert.equal(hosts.length, 1);
    return (await request('GET', `${paz.orchestrator}/cluster/hosts/${hosts[0].ID}/health`)).body;
  };

  before(async () => {
    const env = dockerTestEnv();
    relay = new DockerRelay(join(dir, 'docker.sock'), env.socketPath);
    await relay.open();
    const routerPort = await freePort();
    paz = new PazProcess({
      role: 'up',
      extraArgs: ['--driver', 'docker', '--agent-port', '0', '--router-port', String(routerPort), '--router-bind', '127.0.0.1'],
      env: { DOCKER_HOST: `unix://${relay.path}` },
    });
    await paz.start();
  });
  after(async () => {
    await paz?.close();
    await relay?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('dockerd gone: the host is unhealthy, its driver named; back: healthy again', async () => {
    // This test is about a dockerd lost while running (test/agent-docker-late.test.ts: one not up at the
    // start), so it waits for the agent's started line first.
    await waitFor('the agent started', async () => /paz up: agent for host/.test(paz.output));
    const first = await waitFor('the host healthy', async () => {
      const h = await hostHealth();
      return h.healthy ? h : undefined;
    });
    assert.deepEqual(first.problems, []);

    await relay.close();
    const sick = await waitFor('the agent to report its driver', async () => {
      const h = await hostHealth();
      return h.problems.length > 0 ? h : undefined;
    });
    console.log(`# reasons: ${sick.reasons.join(' | ')}`);
    assert.equal(sick.healthy, false);
    assert.equal(sick.status, 'unhealthy');
    assert.equal(sick.problems[0].component, 'driver');
    assert.match(sick.reasons[0], /its docker driver does not answer: Docker not reachable at .*docker\.sock: /);
    const listed = (await request('GET', `${paz.orchestrator}/cluster/hosts`)).body;
    assert.equal(listed[0].healthy, false, 'the fleet-shaped host view says so too');
    assert.match(listed[0].healthReasons[0], /docker driver does not answer/);
    const cluster = (await request('GET', `${paz.orchestrator}/cluster/health`)).body;
    assert.equal(cluster.healthy, false);
    assert.ok(cluster.reasons.some((r: string) => /docker driver does not answer/.test(r)));

    await relay.open();
    const healed = await waitFor('the host healthy again', async () => {
      const h = await hostHealth();
      return h.healthy ? h : undefined;
    });
    assert.deepEqual(healed.reasons, []);
  });
});
