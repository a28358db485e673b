// Structural, not timed: an idle `paz agent` (the Docker driver when the environment has a dockerd, with
// its router) loads none of the modules that made up most of its memory (bench memory: 95 -> about 60 MiB):
// Fastify, ajv and TypeBox (its API is plain node:http), dockerode with ssh2 and gRPC (engine-client.ts),
// prom-client (loaded on the first /metrics scrape, which then still counts the requests before it), etcd3
// on a SQLite store. A module loader hook in the child records every module it resolves. RSS itself is
// measured only by the benchmark.
// test-lane: docker normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeModuleRecorder } from './helpers/module-recorder.js';
import { pazBin } from './helpers/paz-server.js';
import { freePort, tmpDir } from './helpers/env.js';
import { stopChild } from './helpers/child.js';
import { removeCgroupParent } from './helpers/procs.js';
import { waitFor } from './helpers/wait.js';
import { newClusterToken } from '../src/core/cluster-token.js';

const NOT_ON_AN_IDLE_AGENT = /node_modules\/(fastify|@fastify|ajv|ajv-formats|@sinclair\/typebox|dockerode|docker-modem|ssh2|@grpc|protobufjs|etcd3|prom-client)\//;

describe('an idle paz agent loads only what it uses', () => {
  const dir = tmpDir('paz-agent-lazy-');
  const modulesFile = join(dir, 'modules.txt');
  const hook = writeModuleRecorder(dir);
  const token = newClusterToken();
  const driver = process.env.DOCKER_HOST ? 'docker' : 'process';
  let child: ChildProcess;
  let agentUrl = '';
  let output = '';
  const modules = () => readFileSync(modulesFile, 'utf8').split('\n').filter(Boolean);
  const auth = { authorization: `Bearer ${token}` };

  before(async () => {
    writeFileSync(modulesFile, '');
    const [agentPort, routerPort] = [await freePort(), await freePort()];
    agentUrl = `http://127.0.0.1:${agentPort}`;
    const dataDir = join(dir, 'data');
    const args = ['--import', hook, pazBin, 'agent', '--data-dir', dataDir, '--store', `sqlite:${join(dir, 'paz.db')}`, '--cluster-token', token, '--driver', driver, '--agent-port', String(agentPort), '--router-port', String(routerPort), '--router-bind', '127.0.0.1', '--cgroup-parent', `paz-lazy-test-${process.pid}`, '--log-level', 'warn'];
    child = spawn(process.execPath, args, { env: { ...process.env, PAZ_TEST_MODULES: modulesFile }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    await waitFor(`the agent's API (${output})`, async () => {
      if (child.exitCode !== null) throw new Error(`paz agent exited ${child.exitCode}: ${output}`);
      return (await fetch(`${agentUrl}/health`).catch(() => undefined))?.ok;
    });
    // started means registered: its host record is written after the API listens
    await waitFor('the agent to register its host', async () => /agent for host/.test(output));
  });
  after(async () => {
    if (child) await stopChild(child);
    await removeCgroupParent(`paz-lazy-test-${process.pid}`);
  });

  it('the hook sees what the agent loads (so the checks below can fail)', () => {
    const mods = modules();
    assert.ok(mods.some((m) => m.endsWith('/dist/src/agent/agent.js')), 'the agent module');
    assert.ok(mods.some((m) => /node_modules\/better-sqlite3\//.test(m) || m.endsWith('/dist/src/store/sqlite/sqlite-store.js')), 'its SQLite store');
    assert.ok(mods.some((m) => m.endsWith(`/dist/src/agent/drivers/${driver}/${driver}-driver.js`)), `its ${driver} driver`);
  });

  it('loads no HTTP framework, validator, schema builder, dockerode, gRPC, etcd or prom-client', async () => {
    // a request the metrics must count although prom-client is not loaded yet
    assert.equal((await fetch(`${agentUrl}/stats`, { headers: auth })).status, 200);
    assert.deepEqual(modules().filter((m) => NOT_ON_AN_IDLE_AGENT.test(m)), []);
  });

  it('the first /metrics scrape loads prom-client and reports what came before it', async () => {
    const res = await fetch(`${agentUrl}/metrics`, { headers: auth });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.ok(modules().some((m) => /node_modules\/prom-client\//.test(m)), 'prom-client loaded by the scrape');
    assert.match(text, /^paz_agent_units 0$/m);
    assert.match(text, /paz_http_requests_total\{component="paz-agent",method="GET",route="\/stats",status="200"\} 1/);
    assert.match(text, /paz_http_requests_total\{component="paz-agent",method="GET",route="\/health",status="200"\} \d+/);
  });

  it('answers bad input with catalogue errors, never a 500', async () => {
    const cases: Array<[string, number, string]> = [
      ['/units/nope/logs?tail=ten', 404, 'PAZ_UNIT_NOT_FOUND'],
      ['/units/%E0%A4%A/logs', 400, 'PAZ_VALIDATION'],
      ['/units/nope/stats', 404, 'PAZ_UNIT_NOT_FOUND'],
      ['/no/such/route', 404, 'PAZ_ROUTE_NOT_FOUND'],
    ];
    for (const [path, status, code] of cases) {
      const res = await fetch(`${agentUrl}${path}`, { headers: auth });
      const body = (await res.json()) as { code: string };
      assert.equal(res.status, status, `${path}: ${JSON.stringify(body)}`);
      assert.equal(body.code, code, path);
      assert.equal(res.headers.get('content-type'), 'application/json');
      assert.ok(res.headers.get('x-api-uuid'), 'x-api-uuid');
    }
    const post = await fetch(`${agentUrl}/stats`, { method: 'POST', headers: auth });
    assert.equal(post.status, 404);
  });
});
