// The CLI's streams carry the token too: with auth on, `paz logs`, `paz logs -f` and `paz events` work
// with no flags on the host `paz up` runs on (process driver, so no image is needed).
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { promisify } from 'node:util';
import { PazProcess, pazBin, request, runPaz } from './helpers/paz-server.js';
import { waitFor } from './helpers/wait.js';
import { stopChild } from './helpers/child.js';

const run = promisify(execFile);

const server = `
require('node:http').createServer((q, s) => s.end('ok\\n')).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on ' + process.env.PORT));
process.on('SIGTERM', () => process.exit(0));
`;

/** Runs a streaming CLI command until its output matches, then stops it (by its pid). */
async function streamUntil(args: string[], env: Record<string, string>, pattern: RegExp): Promise<string> {
  const child = spawn(process.execPath, [pazBin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  try {
    await waitFor(`paz ${args.join(' ')} to print ${pattern}`, async () => pattern.test(out) || child.exitCode !== null, 20_000, 100);
    assert.match(out, pattern);
    return out;
  } finally {
    await stopChild(child);
  }
}

describe('CLI streams with auth on', () => {
  const cgroupParent = `paz-auth-streams-${process.pid}`;
  const paz = new PazProcess({ role: 'up', auth: true, extraArgs: ['--driver', 'process', '--no-router', '--agent-port', '0', '--cgroup-parent', cgroupParent] });
  before(() => paz.start());
  after(async () => {
    // units outlive their agent on purpose: retire them before stopping it
    await request('DELETE', `${paz.orchestrator}/services/streamed`, undefined, paz.authHeaders()).catch(() => undefined);
    await waitFor('the agent to retire its units', async () => /paz_agent_units 0\b/.test(await (await fetch(`${paz.orchestrator}/metrics`, { headers: paz.authHeaders() })).text()));
    await paz.close();
  });

  it('follows logs and events with the admin token found in the data dir', async () => {
    const env = { ...paz.cliEnv, PAZ_TOKEN: '' };
    const created = await run(process.execPath, [pazBin, 'create', JSON.stringify({ name: 'streamed', dockerRepository: 'local/streamed', command: [process.execPath, '-e', server], ports: [{ container: 9000 }] })], { env: { ...process.env, ...env } });
    assert.match(created.stdout, /^created streamed \(local\/streamed\); deploy it with `paz deploy streamed`$/m);
    await run(process.execPath, [pazBin, 'deploy', 'streamed'], { env: { ...process.env, ...env } });
    await waitFor('the unit healthy', async () => (await request('GET', `${paz.orchestrator}/services/streamed/units`, undefined, paz.authHeaders())).body.some((u: { healthy: boolean }) => u.healthy), 60_000);
    const logs = await run(process.execPath, [pazBin, 'logs', 'streamed-1-1'], { env: { ...process.env, ...env } });
    assert.match(logs.stdout, /listening on \d+/);
    await streamUntil(['logs', '-f', 'streamed-1-1'], env, /listening on \d+/);
    await streamUntil(['events', '--since', '0'], env, /  journal +streamed +deploy.*\(by admin\)/);
    // and without a token they are refused, saying what to do
    const refused = await streamUntil(['events'], { PAZ_URL: paz.orchestrator, PAZ_DATA_DIR: '/nonexistent', PAZ_TOKEN: '' }, /needs an API token/);
    assert.match(refused, /admin-token/);
  });

  it('paz logs -f SERVICE with a token revoked while it follows: ends with exit 1 saying why, not a retry loop', async () => {
    const made = await request('POST', `${paz.orchestrator}/auth/tokens`, { name: 'log-reader', role: 'read-only' }, paz.authHeaders());
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const child = spawn(process.execPath, [pazBin, 'logs', '-f', 'streamed'], { env: { ...process.env, PAZ_URL: paz.orchestrator, PAZ_DATA_DIR: '/nonexistent', PAZ_TOKEN: made.body.token }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await waitFor('the follower reading', async () => /streamed-1-1 \| listening on \d+/.test(stdout), 20_000, 100);
      assert.equal((await request('DELETE', `${paz.orchestrator}/auth/tokens/log-reader`, undefined, paz.authHeaders())).status, 200);
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still following'), 15_000))]);
      console.log(`# paz logs -f streamed after its token was revoked: exit ${code}; stderr:\n${stderr.replace(/^/gm, '#   ')}`);
      assert.equal(code, 1, stderr);
      assert.match(stderr, /^paz: .*(token|401)/m);
      assert.doesNotMatch(stderr, /trying again/, 'a refusal is not waited out');
    } finally {
      await stopChild(child);
    }
  });

  it('revoking a token ends the streams it has open (events, a unit log, a service log) within seconds; other tokens\' streams go on', async () => {
    const token = async (name: string) => {
      const made = await request('POST', `${paz.orchestrator}/auth/tokens`, { name, role: 'read-only' }, paz.authHeaders());
      assert.equal(made.status, 201, JSON.stringify(made.body));
      return made.body.token as string;
    };
    const leaked = await token('leaked');
    const kept = await token('kept');
    const open = (path: string, bearer: string) => {
      const s = { body: '', ended: false, status: 0, req: undefined as ReturnType<typeof httpGet> | undefined };
      s.req = httpGet(`${paz.orchestrator}${path}`, { headers: { authorization: `Bearer ${bearer}` } }, (res) => {
        s.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (d: string) => (s.body += d));
        res.on('close', () => (s.ended = true));
      });
      s.req.on('error', () => (s.ended = true));
      return s;
    };
    const streams = {
      events: open('/events', leaked),
      unitLog: open('/services/streamed/units/streamed-1-1/logs?follow=true&tail=5', leaked),
      serviceLog: open('/services/streamed/logs?follow=true&tail=5', leaked),
    };
    const other = open('/events', kept);
    try {
      await waitFor('every stream open and answering', async () => streams.events.body.includes('paz events since') && /listening on/.test(streams.unitLog.body) && /streamed-1-1 \| listening on/.test(streams.serviceLog.body) && other.body.includes('paz events since'), 20_000, 100);
      // a stream is not ended while its token is valid: three token checks later, all still open
      await new Promise((r) => setTimeout(r, 3500));
      assert.deepEqual(Object.values(streams).map((s) => s.ended), [false, false, false]);
      assert.equal((await request('DELETE', `${paz.orchestrator}/auth/tokens/leaked`, undefined, paz.authHeaders())).status, 200);
      const t0 = Date.now();
      await waitFor('the revoked token\'s streams to end', async () => Object.values(streams).every((s) => s.ended), 15_000, 100);
      console.log(`# the revoked token's three streams ended ${Date.now() - t0} ms after the revocation`);
      assert.match(streams.events.body, /event: error\ndata: \{"message":"the token this stream was opened with was revoked"\}/);
      assert.match(streams.serviceLog.body, /^--- the token this stream was opened with was revoked ---$/m);
      assert.equal(other.ended, false, 'a stream of a token that was not revoked goes on');
      // and reopening with the revoked token is refused
      assert.equal((await request('GET', `${paz.orchestrator}/events`, undefined, { authorization: `Bearer ${leaked}` })).status, 401);
    } finally {
      for (const s of [...Object.values(streams), other]) s.req?.destroy();
      await request('DELETE', `${paz.orchestrator}/auth/tokens/kept`, undefined, paz.authHeaders());
    }
  });

  it('paz logs of an unknown unit: exit 1 with the nearest unit name, never an empty output', async () => {
    const env = { ...paz.cliEnv, PAZ_TOKEN: '' };
    for (const [given, near] of [['streamd-1-1', 'streamed-1-1'], ['streamed-1-9', 'streamed-1-1'], ['streamed-2', 'streamed-1'], ['streamd', 'streamed'], ['streamed-1-1.servce', undefined], ['zzz', undefined]] as const) {
      const r = await runPaz(['logs', given], '', env);
      assert.equal(r.code, 1, `paz logs ${given}: ${r.stderr}`);
      assert.equal(r.stdout, '', `paz logs ${given} printed nothing on stdout`);
      assert.match(r.stderr, new RegExp(`^paz: no unit named "${given.replace(/\./g, '\\.')}"`), given);
      if (near) assert.ok(r.stderr.includes(`(did you mean ${near}?)`), `paz logs ${given}: ${r.stderr}`);
      else assert.doesNotMatch(r.stderr, /did you mean/, given);
      assert.match(r.stderr, /`paz units` lists them/);
    }
  });
});
