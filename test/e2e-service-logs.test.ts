// `paz logs SERVICE`: every unit's output, each line behind its unit's name; with -f it follows the service
// through a deploy (the new version's instances join as they start, the old ones are said to be gone) until the
// service is deleted; both `paz logs -f SERVICE` and `paz logs -f UNIT` go on through a restart of `paz up` (an
// upgrade), the apps running on. `GET /services/:name/logs` (the dashboard's one stream for a service) gives the same
// lines and follows the same way, ending when the service is deleted. On `paz up --driver process`: real units, no
// Docker needed.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { get as httpGet, type ClientRequest, type IncomingMessage } from 'node:http';
import { PazProcess, pazBin, request, runPaz } from './helpers/paz-server.js';
import { waitFor } from './helpers/wait.js';

// says which version and instance it is when it starts, and each request it serves
const program = `
const http = require('node:http');
const me = 'v' + process.env.PAZ_VERSION + ' instance ' + process.env.PAZ_INSTANCE;
http.createServer((req, res) => { if (req.url !== '/health') console.log(me + ' served ' + req.url); res.end('ok\\n'); })
  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log(me + ' up'));
process.on('SIGTERM', () => process.exit(0));
`;

describe('paz logs SERVICE', () => {
  const paz = new PazProcess({ role: 'up', extraArgs: ['--driver', 'process', '--no-router', '--agent-port', '0', '--cgroup-parent', `paz-e2e-logs-${process.pid}`] });
  const cli = (args: string[]) => runPaz(args, '', paz.cliEnv);
  const units = async () => (await request('GET', `${paz.orchestrator}/services/chatty/units`)).body as Array<{ name: string; version: number; healthy: boolean; endpoint?: string }>;
  const healthy = (version: number) =>
    waitFor(`both instances of version ${version} healthy, alone`, async () => {
      const us = await units();
      return us.length === 2 && us.every((u) => u.version === version && u.healthy) ? us : undefined;
    }, 60_000, 200);

  before(async () => {
    await paz.start();
    const created = await request('POST', `${paz.orchestrator}/services`, {
      name: 'chatty',
      dockerRepository: 'local/chatty',
      command: [process.execPath, '-e', program],
      ports: [{ container: 9000 }],
      numInstances: 2,
      healthCheck: { path: '/health' },
      // no router here: a drain would last all of drainSeconds
      rollout: { drainSeconds: 1 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });

  after(async () => {
    await request('DELETE', `${paz.orchestrator}/services/chatty`).catch(() => undefined);
    await waitFor('the agent to retire its units', async () => /paz_agent_units 0\b/.test(await (await fetch(`${paz.orchestrator}/metrics`)).text()));
    await paz.close();
  });

  it('a service never deployed: says so, no empty output', async () => {
    const r = await cli(['logs', 'chatty']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /chatty has no units: it was never deployed/);
    const api = await request('GET', `${paz.orchestrator}/services/chatty/logs`);
    assert.equal(api.status, 200);
    assert.equal(api.body, '--- chatty has no units: it was never deployed, or runs 0 instances ---\n');
  });

  it('GET /services/:name/logs: 404 for an unknown service, 400 for a bad tail, each saying what to fix', async () => {
    const unknown = await request('GET', `${paz.orchestrator}/services/nope/logs`);
    assert.equal(unknown.status, 404);
    assert.equal((unknown.body as { code: string }).code, 'PAZ_SERVICE_NOT_FOUND');
    for (const q of ['tail=-1', 'tail=lots', 'since=yesterday', 'follow=maybe']) {
      const bad = await request('GET', `${paz.orchestrator}/services/chatty/logs?${q}`);
      assert.equal(bad.status, 400, `${q}: ${JSON.stringify(bad.body)}`);
      assert.match((bad.body as { message: string }).message, /tail|follow|since|querystring/, q);
    }
  });

  it("prints every unit's output behind its name, oldest version and first instance first", async () => {
    assert.equal((await cli(['deploy', 'chatty'])).code, 0);
    for (const u of await healthy(1)) await fetch(`http://${u.endpoint}/hi`);
    const r = await waitFor('both requests in the logs', async () => {
      const out = await cli(['logs', 'chatty']);
      return /served \/hi[\s\S]*served \/hi/.test(out.stdout) ? out : undefined;
    }, 10_000, 200);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['chatty-1-1 | v1 instance 1 up', 'chatty-1-1 | v1 instance 1 served /hi', 'chatty-1-2 | v1 instance 2 up', 'chatty-1-2 | v1 instance 2 served /hi']);
    const tail = await cli(['logs', 'chatty', '--tail', '1']);
    assert.deepEqual(tail.stdout.trim().split('\n'), ['chatty-1-1 | v1 instance 1 served /hi', 'chatty-1-2 | v1 instance 2 served /hi']);
    // the API's one stream for the service says the same
    const api = await request('GET', `${paz.orchestrator}/services/chatty/logs`);
    assert.equal(api.status, 200);
    assert.match(api.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(api.body, r.stdout);
    assert.equal((await request('GET', `${paz.orchestrator}/services/chatty/logs?tail=1`)).body, tail.stdout);
    // a unit's name still means that unit alone, without prefixes
    assert.equal((await cli(['logs', 'chatty-1-2'])).stdout, 'v1 instance 2 up\nv1 instance 2 served /hi\n');
  });

  it('GET /services/:name/logs?follow=true: a client that goes away closes the units\' streams it held', async () => {
    const hosts = (await request('GET', `${paz.orchestrator}/cluster/hosts`)).body as Array<{ agentUrl: string }>;
    const agentPort = Number(new URL(hosts[0]!.agentUrl).port);
    // connections accepted by the agent's port (ESTABLISHED), from /proc/net/tcp{,6}
    const atAgent = () =>
      ['/proc/net/tcp', '/proc/net/tcp6']
        .flatMap((f) => (existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').slice(1) : []))
        .map((l) => l.trim().split(/\s+/))
        .filter((c) => parseInt(c[1]!.split(':')[1]!, 16) === agentPort && c[3] === '01').length;
    await waitFor('no connection at the agent', async () => atAgent() === 0, 10_000, 100);
    let streamed = '';
    const stream = httpGet(`${paz.orchestrator}/services/chatty/logs?follow=true&tail=1`, (res) => res.on('data', (d) => (streamed += d)));
    try {
      await waitFor('both units followed', async () => streamed.includes('chatty-1-1 |') && streamed.includes('chatty-1-2 |') && atAgent() === 2, 10_000, 100);
    } finally {
      stream.destroy();
    }
    await waitFor('the streams to the agent closed', async () => atAgent() === 0, 10_000, 100);
  });

  it('-f, of the service and of a unit, goes on through a restart of paz up (the apps run on): nothing lost, nothing twice', async () => {
    const follow = (target: string) => {
      const child = spawn(process.execPath, [pazBin, 'logs', '-f', target], { env: { ...process.env, ...paz.cliEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      const out = { stdout: '', stderr: '', child };
      child.stdout.on('data', (d) => (out.stdout += d));
      child.stderr.on('data', (d) => (out.stderr += d));
      return out;
    };
    const [before] = (await units()).filter((u) => u.name === 'chatty-1-1') as Array<{ name: string; endpoint?: string; startedAt?: number }>;
    const service = follow('chatty');
    const unit = follow('chatty-1-1');
    // and the API's stream of the service: it must not hold paz up's stop, and says why it ends
    let streamed = '';
    const stream = httpGet(`${paz.orchestrator}/services/chatty/logs?follow=true`, (res) => res.on('data', (d) => (streamed += d)));
    const streamEnded = new Promise<void>((resolve) => stream.on('close', resolve));
    // an open dashboard's event stream must not hold the stop either (it did, for 20 s)
    const events = httpGet(`${paz.orchestrator}/events`, (res) => res.resume());
    const eventsEnded = new Promise<void>((resolve) => events.on('close', resolve));
    try {
      await waitFor('both followers reading', async () => service.stdout.includes('chatty-1-2 | v1 instance 2 up') && unit.stdout.includes('v1 instance 1 up') && streamed.includes('chatty-1-2 | v1 instance 2 up'), 10_000, 100);
      assert.equal(await paz.stop(), 0, 'paz up stopped with SIGTERM');
      await Promise.all([streamEnded, eventsEnded]);
      assert.match(streamed, /--- the control plane is stopping ---\n$/);
      await new Promise((r) => setTimeout(r, 1500));
      await paz.start();
      const [after] = (await healthy(1)).filter((u) => u.name === 'chatty-1-1') as Array<{ name: string; endpoint?: string; startedAt?: number }>;
      assert.equal(after!.startedAt, before!.startedAt, 'adopted, not started again: its start is the one it had');
      for (const u of await units()) await fetch(`http://${u.endpoint}/after-restart`);
      await waitFor('the requests after the restart, in both', async () => service.stdout.includes('chatty-1-1 | v1 instance 1 served /after-restart') && service.stdout.includes('chatty-1-2 | v1 instance 2 served /after-restart') && unit.stdout.includes('v1 instance 1 served /after-restart'), 30_000, 100);
      console.log(`# paz logs -f chatty said:\n${service.stderr.replace(/^/gm, '#   ')}\n# paz logs -f chatty-1-1 said:\n${unit.stderr.replace(/^/gm, '#   ')}`);
      for (const [who, text] of [['service', service.stdout], ['unit', unit.stdout]] as const) {
        const lines = text.trim().split('\n');
        assert.equal(new Set(lines).size, lines.length, `${who}: no line twice: ${text}`);
      }
      assert.equal(service.child.exitCode, null, 'the service follower still runs');
      assert.equal(unit.child.exitCode, null, 'the unit follower still runs');
      assert.doesNotMatch(unit.stderr, /started again/, 'the app did not start again');
    } finally {
      service.child.kill();
      unit.child.kill();
      stream.destroy();
      events.destroy();
    }
  });

  it('-f follows the service through a deploy, then ends when it is deleted', async () => {
    const child = spawn(process.execPath, [pazBin, 'logs', '-f', '--tail', '1', 'chatty'], { env: { ...process.env, ...paz.cliEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // the API's stream of the service, as the dashboard reads it, beside the CLI
    let streamed = '';
    let stream: ClientRequest | undefined;
    const streamEnded = new Promise<IncomingMessage>((resolve, reject) => {
      stream = httpGet(`${paz.orchestrator}/services/chatty/logs?follow=true&tail=1`, (res) => {
        res.setEncoding('utf8');
        res.on('data', (d) => (streamed += d));
        res.on('end', () => resolve(res));
        res.on('error', reject);
      });
      stream.on('error', reject);
    });
    try {
      // (the test before made the last requests)
      await waitFor('the last line of each unit', async () => stdout.includes('chatty-1-1 | v1 instance 1 served /after-restart') && stdout.includes('chatty-1-2 | v1 instance 2 served /after-restart'), 10_000, 100);
      assert.match(stderr, /^following the output of chatty's units as they come and go, Ctrl-C to stop$/m);
      assert.ok(!stdout.includes(' up\n'), `--tail 1 for the units there at the start: ${stdout}`);
      const deployed = await cli(['deploy', 'chatty']);
      assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
      for (const u of await healthy(2)) await fetch(`http://${u.endpoint}/again`);
      await waitFor('version 2 followed from its start, and version 1 gone', async () => {
        const want = ['chatty-2-1 | v2 instance 1 up', 'chatty-2-2 | v2 instance 2 up', 'chatty-2-1 | v2 instance 1 served /again', 'chatty-2-2 | v2 instance 2 served /again'];
        const gone = (text: string) => /--- chatty-1-1 is gone/.test(text) && /--- chatty-1-2 is gone/.test(text);
        return want.every((l) => stdout.includes(l)) && gone(stderr) && gone(streamed);
      }, 30_000, 100);
      assert.match(stderr, /^--- chatty-2-1 started ---$/m);
      assert.equal((await request('DELETE', `${paz.orchestrator}/services/chatty`)).status, 204);
      assert.equal(await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))]), 0, stderr);
      assert.match(stderr, /^--- chatty was deleted ---$/m);
      console.log(`# paz logs -f chatty said on stderr:\n${stderr.replace(/^/gm, '#   ')}`);
      // the API's stream: the same lines, what happened inline, and its end when the service was deleted
      const res = await Promise.race([streamEnded, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the stream did not end: ${streamed}`)), 10_000))]);
      console.log(`# GET /services/chatty/logs?follow=true&tail=1 gave:\n${streamed.replace(/^/gm, '#   ')}`);
      assert.equal(res.statusCode, 200);
      const lines = streamed.trim().split('\n');
      assert.equal(lines[0], "--- following the output of chatty's units as they come and go ---");
      for (const l of stdout.trim().split('\n')) assert.ok(lines.includes(l), `${l} in the stream`);
      for (const l of ['--- chatty-2-1 started ---', '--- chatty-1-1 is gone (its version was replaced or failed, or it was scaled down) ---']) assert.ok(lines.includes(l), l);
      assert.equal(lines.at(-1), '--- chatty was deleted ---');
      assert.equal(new Set(lines.filter((l) => !l.startsWith('---'))).size, lines.filter((l) => !l.startsWith('---')).length, 'no line twice');
    } finally {
      child.kill();
      stream?.destroy();
    }
  });
});
