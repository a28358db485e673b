// The agent API asks for the cluster token on every route but /health (the routes are read from the table the agent
// API's server dispatches on, so a new route can't be forgotten); the orchestrator sends it, so its log and stats
// routes keep working; `paz exec` in a process unit runs with the unit's environment and working directory; and
// `paz agent` without a token refuses to start, saying where to get one.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_ROUTES, agentRouteMethods } from '../src/agent/agent-api.js';
import { newClusterToken } from '../src/core/cluster-token.js';
import { openStream, readText } from '../src/client/http-stream.js';
import { PazProcess, pazBin, request } from './helpers/paz-server.js';
import { tmpDir } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';
import { LineSplitter } from '../src/agent/drivers/docker/line-splitter.js';
import { deployEchoService, retireService, type RunningUnit } from './helpers/process-service.js';

/** Every route of the real agent API, from the table its server dispatches on: [path, methods]. */
function agentRoutes(): Array<{ path: string; methods: string[] }> {
  return AGENT_ROUTES.map((path) => ({ path, methods: [...agentRouteMethods(path)] }));
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
    for (const p of ['/health', '/metrics', '/units/:unit/logs', '/units/:unit/stats', '/units/:unit/exec', '/stats', '/router/stats']) assert.ok(paths.includes(p), `${p} in ${paths}`);
    assert.deepEqual(routes.find((r) => r.path === '/units/:unit/exec')!.methods, ['POST'], 'exec runs a command: POST only');
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
          if (method !== 'HEAD') assert.equal(JSON.parse(body).code, 'PAZ_UNAUTHENTICATED');
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
        // /router/stats: this host runs no router (404); exec without a command is a 400; the logs route streams,
        // so only its status is read
        assert.equal(res.status, path === '/router/stats' ? 404 : path.endsWith('/exec') ? 400 : 200, `${method} ${path}`);
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

describe('paz exec in a process unit', () => {
  const cgroupParent = `paz-exec-test-${process.pid}`;
  const paz = new PazProcess({ role: 'up', extraArgs: ['--driver', 'process', '--no-router', '--agent-port', '0', '--cgroup-parent', cgroupParent] });
  /** the frames of one exec, read to the end */
  const exec = async (body: object) => {
    const res = await openStream(`${paz.orchestrator}/services/execy/exec`, { json: body });
    const text = await readText(res);
    return { status: res.statusCode, frames: text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
  };
  /** pids of processes whose command line is exactly `args` */
  const pidsOf = (args: string) =>
    readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') === args;
        } catch {
          return false;
        }
      });

  before(async () => {
    await paz.start();
    await deployEchoService(paz.orchestrator, 'execy');
  });
  after(async () => {
    const agentUrl = (await request('GET', `${paz.orchestrator}/cluster/hosts`)).body[0]?.agentUrl;
    const token = readFileSync(join(paz.dataDir, 'cluster-token'), 'utf8').trim();
    await retireService(paz.orchestrator, 'execy', `${agentUrl}/metrics`, { authorization: `Bearer ${token}` }).catch(() => undefined);
    await paz.close();
  });

  it("runs beside the unit's process with its environment and working directory, and gives its exit code", async () => {
    const r = await exec({ command: ['sh', '-c', 'echo "launch=$PAZ_LAUNCH_ID"; pwd; echo oops >&2; id -u; exit 4'] });
    assert.equal(r.status, 200, JSON.stringify(r.frames));
    // stdout and stderr come through pipes of their own: their lines' order between them is not kept
    const out = r.frames.filter((f) => f.type === 'output' && f.stream === 'stdout');
    assert.deepEqual(r.frames.filter((f) => f.stream === 'stderr'), [{ type: 'output', stream: 'stderr', line: 'oops' }]);
    const launch = String(out[0].line).replace('launch=', '');
    assert.match(launch, /^[0-9a-f-]{36}$/, `the unit's own PAZ_LAUNCH_ID: ${JSON.stringify(out)}`);
    // the same environment as the unit's process (found by that launch id), and its working directory
    const holder = readdirSync('/proc').find((d) => /^\d+$/.test(d) && (() => {
      try {
        return readFileSync(`/proc/${d}/environ`, 'utf8').includes(`PAZ_LAUNCH_ID=${launch}\0`) && readFileSync(`/proc/${d}/cmdline`, 'utf8').startsWith(process.execPath);
      } catch {
        return false;
      }
    })());
    assert.ok(holder, 'the unit process carries that launch id');
    assert.equal(out[1].line, readlinkSync(`/proc/${holder}/cwd`), "the unit's working directory");
    assert.equal(out[2].line, /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${holder}/status`, 'utf8'))![1], "the unit's user");
    assert.deepEqual(r.frames.at(-1), { type: 'exit', exitCode: 4 });
  });

  it('a program that is not there exits 127 saying so; a timeout kills the command and what it started', async () => {
    const missing = await exec({ command: ['no-such-program-here'] });
    assert.deepEqual(missing.frames.at(-1), { type: 'exit', exitCode: 127 }, JSON.stringify(missing.frames));
    assert.match(String(missing.frames[0].line), /no-such-program-here: no such program/);

    const pending = exec({ command: ['sh', '-c', 'sleep 27; echo never'], timeoutSeconds: 2 });
    await waitFor('the command to run', async () => (pidsOf('sleep 27').length === 1 ? true : undefined), 10_000);
    const r = await pending;
    assert.deepEqual(r.frames.at(-1), { type: 'exit', exitCode: 137, timedOut: true });
    assert.deepEqual(pidsOf('sleep 27'), [], 'the sleep the shell started was killed with it');
  });

  it('output without line ends comes in pieces, never held whole', async () => {
    const r = await exec({ command: ['sh', '-c', "head -c 200000 /dev/zero | tr '\\0' x"] });
    const lines = r.frames.filter((f) => f.type === 'output').map((f) => String(f.line));
    assert.deepEqual(lines.map((l) => l.length), [65_536, 65_536, 65_536, 3_392]);
    assert.ok(lines.every((l) => /^x+$/.test(l)));
    assert.deepEqual(r.frames.at(-1), { type: 'exit', exitCode: 0 });
  });

  it('a client that reads slowly holds the command back instead of the agent buffering its output', async () => {
    const res = await openStream(`${paz.orchestrator}/services/execy/exec`, { json: { command: ['sh', '-c', "head -c 50000000 /dev/zero | tr '\\0' x; echo"] } });
    assert.equal(res.statusCode, 200);
    res.pause();
    await waitFor('the command to write', async () => (pidsOf('head -c 50000000 /dev/zero').length === 1 ? true : undefined), 10_000);
    await new Promise((r) => setTimeout(r, 3_000));
    // 50 MB is far more than the sockets and pipes between hold: it can only still run if it was held back
    assert.equal(pidsOf('head -c 50000000 /dev/zero').length, 1, 'still writing while nobody reads');
    let chars = 0;
    let last = '';
    const frames = new LineSplitter();
    for await (const chunk of res) {
      for (const line of frames.push(chunk as Buffer)) {
        const f = JSON.parse(line) as { type: string; line?: string };
        if (f.type === 'output') chars += f.line!.length;
        last = line;
      }
    }
    assert.equal(chars, 50_000_000, 'every byte came, once the client read');
    assert.deepEqual(JSON.parse(last), { type: 'exit', exitCode: 0 });
  });

  it('paz exec into a slow pipe holds the command back; into a pipe whose reader left, ends it (exit 141)', async () => {
    const dump = ['exec', 'execy', '--', 'sh', '-c', "head -c 50000000 /dev/zero | tr '\\0' x; echo"];
    const slow = spawn(process.execPath, [pazBin, ...dump], { env: { ...process.env, ...paz.cliEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    slow.stdout!.pause();
    await waitFor('the command to write', async () => (pidsOf('head -c 50000000 /dev/zero').length === 1 ? true : undefined), 10_000);
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(pidsOf('head -c 50000000 /dev/zero').length, 1, 'still writing while paz\'s stdout is not read');
    let xs = 0;
    for await (const chunk of slow.stdout!) xs += String(chunk).replace(/[^x]/g, '').length;
    const code = slow.exitCode ?? (await new Promise<number | null>((resolve) => slow.once('exit', resolve)));
    assert.equal(code, 0);
    assert.equal(xs, 50_000_000, 'every byte, once read');

    const left = spawn(process.execPath, [pazBin, ...dump.slice(0, -1), "head -c 50000000 /dev/zero | tr '\\0' x"], { env: { ...process.env, ...paz.cliEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    left.stderr!.on('data', (d) => (err += d));
    await new Promise((resolve) => left.stdout!.once('data', resolve));
    left.stdout!.destroy();
    const leftCode = await new Promise<number | null>((resolve) => left.once('exit', resolve));
    assert.equal(leftCode, 141, err);
    assert.equal(err, '', 'quietly, as a pipeline');
    await waitFor('the command to be ended', async () => (pidsOf('head -c 50000000 /dev/zero').length === 0 ? true : undefined), 10_000);
  });

  it('a command ends with the unit: the unit crashing kills it and what it started, and the answer says why', async () => {
    const pending = exec({ command: ['sh', '-c', 'echo ready; sleep 29; echo never'] });
    await waitFor('the command to run', async () => (pidsOf('sleep 29').length === 1 ? true : undefined), 10_000);
    // the unit's own process: the echo server (node), not the command's shell, which carries its environment too
    const launch = readFileSync(`/proc/${pidsOf('sleep 29')[0]}/environ`, 'utf8').split('\0').find((e) => e.startsWith('PAZ_LAUNCH_ID='));
    assert.ok(launch, 'the command runs with the unit\'s launch id');
    const unitPid = readdirSync('/proc').find((d) => /^\d+$/.test(d) && (() => {
      try {
        return readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').includes(launch) && readFileSync(`/proc/${d}/cmdline`, 'utf8').startsWith(process.execPath);
      } catch {
        return false;
      }
    })());
    assert.ok(unitPid, "the unit's process");
    const t0 = Date.now();
    process.kill(Number(unitPid), 'SIGKILL');
    const r = await pending;
    assert.deepEqual(r.frames.at(-1), { type: 'exit', exitCode: 137, unitStopped: true }, JSON.stringify(r.frames));
    assert.ok(Date.now() - t0 < 10_000, `ended ${Date.now() - t0} ms after the crash, not when the sleep would have`);
    assert.ok(!r.frames.some((f) => f.line === 'never'));
    assert.deepEqual(pidsOf('sleep 29'), [], 'the sleep the shell started went too');
    // its agent starts it again: the next command runs in the new run
    await waitFor('the unit to run again', async () => {
      const again = await exec({ command: ['true'] }).catch(() => undefined);
      return again?.status === 200 && JSON.stringify(again.frames.at(-1)) === JSON.stringify({ type: 'exit', exitCode: 0 }) ? true : undefined;
    }, 30_000);
  });

  it('a command that leaves a process in the background, holding its output, still ends', async () => {
    const r = await exec({ command: ['sh', '-c', 'sleep 28 & echo left in the background'] });
    try {
      assert.deepEqual(r.frames, [{ type: 'output', stream: 'stdout', line: 'left in the background' }, { type: 'exit', exitCode: 0 }]);
      assert.equal(pidsOf('sleep 28').length, 1, 'the answer came while the background process still ran (it is not waited for)');
    } finally {
      for (const pid of pidsOf('sleep 28')) process.kill(Number(pid), 'SIGKILL');
    }
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
