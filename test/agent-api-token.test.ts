// The agent API asks for the cluster token on every route but /health (the routes are read from the table the agent
// API's server dispatches on, so a new route can't be forgotten); the orchestrator sends it, so its log and stats
// routes keep working; and `paz agent` without a token refuses to start, saying where to get one.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_ROUTES } from '../src/agent/agent-api.js';
import { newClusterToken } from '../src/core/cluster-token.js';
import { openStream, readText } from '../src/client/http-stream.js';
import { PazProcess, pazBin, request } from './helpers/paz-server.js';
import { tmpDir } from './helpers/env.js';
import { deployEchoService, retireService, type RunningUnit } from './helpers/process-service.js';

/** Every route of the real agent API, from the table its server dispatches on: [path, methods]. */
function agentRoutes(): Array<{ path: string; methods: string[] }> {
  return AGENT_ROUTES.map((path) => ({ path, methods: ['GET', 'HEAD'] }));
}

describe('the agent API and the cluster token', () => {
  const cgroupParent = `paz-trust-test-${process.pid}`;
  const paz = new PazProcess({ role: 'up', extraArgs: ['--driver', 'process', '--no-router', '--agent-port', '0', '--cgroup-parent', cgroupParent] });
  let token: string;
  let agentUrl: string;
  let hostId: string;
  let unit: RunningUnit;
  let routes: Array<{ path: string; methods: string[] }>;

  before(async () => {
    routes = agentRoutes();
    await paz.start();
    token = readFileSync(join(paz.dataDir, 'cluster-token'), 'utf8').trim();
    unit = await deployEchoService(paz.orchestrator, 'trusty');
    const hosts = (await request('GET', `${paz.orchestrator}/cluster/hosts`)).body;
    agentUrl = hosts[0].agentUrl;
    hostId = hosts[0].ID;
  });
  after(async () => {
    await retireService(paz.orchestrator, 'trusty', `${paz.orchestrator}/metrics`);
    await paz.close();
  });

  const urlOf = (path: string) => `${agentUrl}${path.replace(':unit', unit.name)}`;

  it('paz up made the token in the data dir, mode 0600', () => {
    assert.equal(statSync(join(paz.dataDir, 'cluster-token')).mode & 0o777, 0o600);
    assert.ok(token.length >= 40);
  });

  it('the route table lists the routes this test knows of (so the loops below cover something)', () => {
    const paths = routes.map((r) => r.path);
    for (const p of ['/health', '/metrics', '/units/:unit/logs', '/units/:unit/stats', '/stats', '/router/stats']) assert.ok(paths.includes(p), `${p} in ${paths}`);
  });

  it('answers 401 UNAUTHENTICATED on every route but /health without the token, or with a wrong one', async () => {
    const wrong = [undefined, `Bearer ${newClusterToken()}`, `Bearer ${token}x`, `Bearer ${token.slice(1)}`, `Basic ${Buffer.from(`paz:${token}`).toString('base64')}`, token, 'Bearer'];
    let checked = 0;
    for (const { path, methods } of routes.filter((r) => r.path !== '/health')) {
      for (const method of methods) {
        for (const authorization of wrong) {
          const res = await fetch(urlOf(path), { method, headers: authorization === undefined ? {} : { authorization } });
          const body = await res.text();
          assert.equal(res.status, 401, `${method} ${path} with ${authorization === undefined ? 'no token' : 'a wrong token'}: ${body}`);
          if (method === 'GET') assert.equal(JSON.parse(body).code, 'PAZ_UNAUTHENTICATED');
          checked++;
        }
      }
    }
    assert.ok(checked >= 5 * 2 * wrong.length);
    // a path that does not exist tells a stranger nothing either
    assert.equal((await fetch(`${agentUrl}/no/such/route`)).status, 401);
    assert.equal((await fetch(`${agentUrl}/health`)).status, 200);
  });

  it('answers with the right token', async () => {
    const auth = { authorization: `Bearer ${token}` };
    for (const { path, methods } of routes) {
      for (const method of methods) {
        const res = await fetch(urlOf(path), { method, headers: auth, signal: AbortSignal.timeout(10_000) });
        // /router/stats: this host runs no router (404); the logs route streams, so only its status is read
        assert.equal(res.status, path === '/router/stats' ? 404 : 200, `${method} ${path}`);
        await res.body?.cancel();
      }
    }
    const logs = await fetch(`${urlOf('/units/:unit/logs')}`, { headers: auth });
    assert.match(await logs.text(), /listening on \d+/);
  });

  it("the orchestrator's logs (also followed), unit stats and host stats work through it", async () => {
    const logs = await fetch(`${paz.orchestrator}/services/trusty/units/${unit.name}/logs`);
    assert.equal(logs.status, 200);
    assert.match(await logs.text(), /listening on \d+/);

    const followed = await openStream(`${paz.orchestrator}/services/trusty/units/${unit.name}/logs?follow=true`);
    assert.equal(followed.statusCode, 200, followed.statusCode === 200 ? '' : await readText(followed));
    let seen = '';
    for await (const chunk of followed) {
      seen += String(chunk);
      if (/listening on \d+/.test(seen)) break;
    }
    followed.destroy();
    assert.match(seen, /listening on \d+/);

    const stats = await request('GET', `${paz.orchestrator}/services/trusty/stats`);
    assert.equal(stats.status, 200);
    assert.equal(stats.body.units[unit.name].error, undefined, JSON.stringify(stats.body));
    assert.equal(stats.body.units[unit.name].unit, unit.name);

    const host = await request('GET', `${paz.orchestrator}/cluster/hosts/${hostId}/stats`);
    assert.equal(host.status, 200, JSON.stringify(host.body));
    assert.equal(host.body.host, hostId);
  });
});

describe('paz agent without a cluster token', () => {
  it('refuses to start and says how to get one', async () => {
    const dir = tmpDir('paz-agent-no-token-');
    const env = { ...process.env };
    delete env.PAZ_CLUSTER_TOKEN;
    const child = spawn(process.execPath, [pazBin, 'agent', '--data-dir', dir, '--store', `sqlite:${join(dir, 'paz.db')}`, '--driver', 'process', '--no-router', '--agent-port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 1, out);
    assert.match(out, /no cluster token/);
    assert.match(out, /cat DATA_DIR\/cluster-token` on a Paz server/);
    assert.match(out, /--cluster-token or PAZ_CLUSTER_TOKEN/);
    assert.doesNotMatch(out, /\n\s+at /, 'a message, not a stack trace');
    assert.equal(existsSync(join(dir, 'cluster-token')), false, 'an agent makes no token of its own');
  });
});
