// Issue 12, "a host's healthy reflects reality": a control plane and two `paz agent` processes (process
// driver) on one store. An agent stopped cleanly makes its host down at once ("its agent stopped"), first
// within the host-loss grace, then past it; an agent killed (kill -9) makes its host down once its lease
// runs out ("its heartbeat was lost"). The cluster's health names both; the live host stays healthy.
// test-lane: light
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PazProcess, pazBin, request, runPaz } from './helpers/paz-server.js';
import { waitFor } from './helpers/wait.js';

class AgentProcess {
  child: ChildProcess | undefined;
  output = '';
  readonly dataDir = mkdtempSync(join(tmpdir(), 'paz-agent-'));
  constructor(private readonly paz: PazProcess) {}
  start(): void {
    const token = readFileSync(join(this.paz.dataDir, 'cluster-token'), 'utf8').trim();
    const args = [pazBin, 'agent', '--data-dir', this.dataDir, '--store', this.paz.storeUrl, '--driver', 'process', '--no-router', '--agent-port', '0', '--cluster-token', token, '--cgroup-parent', `paz-health-test-${process.pid}`, '--log-level', 'warn'];
    this.child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d) => (this.output += d));
    this.child.stderr!.on('data', (d) => (this.output += d));
  }
  get hostId(): string {
    return readFileSync(join(this.dataDir, 'host-id'), 'utf8').trim();
  }
  async signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(sig);
    await exited;
  }
  async close(): Promise<void> {
    await this.signal('SIGTERM');
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

describe('a host whose agent is gone is named in the cluster health', () => {
  const paz = new PazProcess({ extraArgs: ['--host-loss-grace', '2'] });
  const a = new AgentProcess(paz);
  const b = new AgentProcess(paz);
  const health = async (path: string) => {
    const res = await request('GET', `${paz.orchestrator}${path}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  before(async () => {
    await paz.start();
    a.start();
    b.start();
    await waitFor('both agents up', async () => ((await health('/cluster/health')).counts.hostsUp === 2 ? true : undefined), 30_000);
  });
  after(async () => {
    await a.close();
    await b.close();
    await paz.close();
  });

  it('two live agents: every host healthy, the cluster healthy', async () => {
    const c = await health('/cluster/health');
    assert.equal(c.healthy, true, c.reasons.join('\n'));
    assert.equal(c.hosts.length, 2);
    assert.ok(c.hosts.every((h: { healthy: boolean; state: string; heartbeatTtlSeconds: number }) => h.healthy && h.state === 'up' && h.heartbeatTtlSeconds === 10));
    const hosts = (await request('GET', `${paz.orchestrator}/cluster/hosts`)).body;
    assert.deepEqual(hosts.map((h: { healthy: boolean }) => h.healthy), [true, true]);
  });

  it('an agent stopped cleanly: its host is down at once, within the grace, then past it', async () => {
    const id = b.hostId;
    await b.signal('SIGTERM');
    const c = await health('/cluster/health');
    assert.equal(c.healthy, false);
    assert.equal(c.status, 'degraded', 'no service needs the host');
    const reason = c.reasons.find((r: string) => r.includes(id));
    assert.match(reason, new RegExp(`^host ${id}( \\(.*\\))? is down: its agent stopped at \\d{4}-.*\\(\\d+ s ago\\)`));
    const host = await health(`/cluster/hosts/${id}/health`);
    assert.equal(host.state, 'down');
    assert.equal(host.downBecause, 'stopped');
    assert.equal(host.healthy, false);
    const past = await waitFor('past the 2 s host-loss grace', async () => {
      const h = await health(`/cluster/hosts/${id}/health`);
      return h.inGrace === false ? h : undefined;
    });
    assert.match(past.reasons[0], /past the host-loss grace/);
    const live = await health(`/cluster/hosts/${a.hostId}/health`);
    assert.equal(live.healthy, true, 'the other host is not affected');
    const refused = await request('DELETE', `${paz.orchestrator}/cluster/hosts/${a.hostId}`);
    assert.equal(refused.status, 409, 'a host that is up cannot be forgotten');
    assert.match(refused.body.message, /is up: stop its agent first/);
    assert.deepEqual((await request('GET', `${paz.orchestrator}/cluster/hosts`)).body.map((h: { ID: string }) => h.ID), [a.hostId], 'the fleet list holds live hosts');

    const cli = await runPaz(['health', '--url', paz.orchestrator]);
    assert.equal(cli.code, 1, cli.stdout + cli.stderr);
    assert.match(cli.stdout, new RegExp(`^ {2}- host ${id}.* is down: its agent stopped`, 'm'));
    const cliHost = await runPaz(['health', '--host', id, '--url', paz.orchestrator]);
    assert.equal(cliHost.code, 1);
    assert.match(cliHost.stdout, new RegExp(`^host ${id} .*: unhealthy \\(down`));
  });

  it('an agent killed: its host is down once its lease runs out, its heartbeat lost', async () => {
    const id = a.hostId;
    await a.signal('SIGKILL');
    const c = await waitFor(`host ${id} down`, async () => {
      const h = await health('/cluster/health');
      return h.counts.hostsUp === 0 ? h : undefined;
    }, 30_000);
    const reason = c.reasons.find((r: string) => r.includes(id));
    assert.match(reason, new RegExp(`^host ${id}( \\(.*\\))? is down: its heartbeat was lost after \\d{4}-`));
    assert.ok(c.reasons.some((r: string) => r.startsWith('no host is up')), c.reasons.join('\n'));
    const host = await health(`/cluster/hosts/${id}/health`);
    assert.equal(host.downBecause, 'heartbeat-lost');
    const unknown = await request('GET', `${paz.orchestrator}/cluster/hosts/no-such-host/health`);
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.message, /no host with id "no-such-host"/);
  });

  it('a down host forgotten (decommissioned) is no longer named; an unknown one is a 404', async () => {
    const id = b.hostId;
    assert.equal((await request('DELETE', `${paz.orchestrator}/cluster/hosts/${id}`)).status, 204);
    const c = await health('/cluster/health');
    assert.ok(!c.reasons.some((r: string) => r.includes(id)), c.reasons.join('\n'));
    assert.deepEqual(c.hosts.map((h: { id: string }) => h.id), [a.hostId]);
    assert.equal((await request('GET', `${paz.orchestrator}/cluster/hosts/${id}/health`)).status, 404);
    const again = await request('DELETE', `${paz.orchestrator}/cluster/hosts/${id}`);
    assert.equal(again.status, 404);
    assert.match(again.body.message, /no down host with id/);
  });
});
