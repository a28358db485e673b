/**
 * An instance that stops answering mid-request (its host lost power; here: a backend process frozen with
 * SIGSTOP, its socket still open, so connects still succeed and nothing ever answers) through a real
 * HAProxy run by the Paz router:
 * - the request already in its hands ends once the router's checks mark it down (`on-marked-down
 *   shutdown-sessions`), seconds after the freeze rather than after `timeout server` (60 s);
 * - requests started after that are served by the healthy instance.
 * Backends are child processes started here and ended by PID, pass or fail; everything is on loopback.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { get, startTestRouter, type TestRouter } from './router-fixtures.js';

/** Answers `<name>\n`, `/slow?ms=N` after N ms; prints `port N` once listening and `got <path>` per request (checks excluded). */
const BACKEND_SOURCE = `
const http = require('node:http');
const name = process.env.BACKEND_NAME;
const server = http.createServer((req, res) => {
  if (req.headers['user-agent'] === 'paz-router-check') { res.end('ok\\n'); return; }
  console.log('got ' + req.url);
  const url = new URL(req.url, 'http://x');
  const ms = url.pathname === '/slow' ? Number(url.searchParams.get('ms')) : 0;
  setTimeout(() => res.end(name + '\\n'), ms);
});
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
`;

interface ChildBackend {
  name: string;
  port: number;
  child: ChildProcess;
  /** paths of the requests it received (checks excluded), in order */
  got: string[];
}

const children: ChildProcess[] = [];
let rt: TestRouter | undefined;

after(async () => {
  await rt?.cleanup();
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(child.pid, 'SIGCONT');
    process.kill(child.pid, 'SIGKILL');
    await exited;
  }
});

async function startChildBackend(name: string): Promise<ChildBackend> {
  const child = spawn(process.execPath, ['-e', BACKEND_SOURCE], { env: { ...process.env, BACKEND_NAME: name }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const backend: ChildBackend = { name, port: 0, child, got: [] };
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`backend ${name} exited (${code}) before listening`)));
    lines.on('line', (line) => {
      if (line.startsWith('port ')) {
        backend.port = Number(line.slice(5));
        resolve();
      } else if (line.startsWith('got ')) {
        backend.got.push(line.slice(4));
      }
    });
  });
  return backend;
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a frozen instance: its in-flight request ends seconds after it is marked down, later requests go to the healthy one', async () => {
  const frozen = await startChildBackend('web-1-1');
  const healthy = await startChildBackend('web-1-2');
  rt = await startTestRouter({
    domain: 'paz',
    services: [{ name: 'web', servers: [frozen, healthy].map((b) => ({ name: b.name, address: '127.0.0.1', port: b.port, state: 'ready' as const })) }],
  });
  const router = rt;
  // both instances pass their checks before the test starts
  for (let i = 0; i < 4; i++) assert.equal((await get(router.port, 'web.paz')).status, 200);

  // Two slow requests at once: round robin gives one to each instance. The client waits 50 s, under
  // `timeout server` (60 s): without the fix the frozen one's request is still waiting then.
  const slow = () => {
    const started = Date.now();
    return get(router.port, 'web.paz', '/slow?ms=3000', { timeoutMs: 50_000 }).then(
      (answer) => ({ endedAt: Date.now(), ms: Date.now() - started, status: answer.status, body: answer.body, error: '' }),
      (error: Error) => ({ endedAt: Date.now(), ms: Date.now() - started, status: 0, body: '', error: error.message }),
    );
  };
  const requests = [slow(), slow()];
  await until('the frozen instance to receive its slow request', () => frozen.got.includes('/slow?ms=3000'), 5_000);
  await until('the healthy instance to receive its slow request', () => healthy.got.includes('/slow?ms=3000'), 5_000);
  process.kill(frozen.child.pid!, 'SIGSTOP');
  const frozenAt = Date.now();

  const results = await Promise.all(requests);
  const served = results.filter((r) => r.status === 200);
  const lost = results.filter((r) => r.status !== 200);
  console.log('figures:', JSON.stringify({ results: results.map((r) => ({ ms: r.ms, status: r.status, body: r.body.trim(), error: r.error })), endedAfterFreezeMs: lost.map((r) => r.endedAt - frozenAt) }));
  assert.equal(served.length, 1, 'the healthy instance answered its request');
  assert.equal(served[0].body, 'web-1-2\n');
  assert.equal(lost.length, 1);
  // checks: connect succeeds (the socket is open), the answer times out (timeout check 2 s), twice (fall 2),
  // the first within `inter` 1 s: marked down 3-6 s after the freeze. Not 60 s.
  const endedAfter = lost[0].endedAt - frozenAt;
  assert.ok(endedAfter < 15_000, `the request held by the frozen instance ended ${endedAfter} ms after the freeze (timeout server is 60 s)`);

  // marked down: new requests go to the healthy instance only, at once
  const bodies: string[] = [];
  for (let i = 0; i < 6; i++) {
    const started = Date.now();
    const answer = await get(router.port, 'web.paz', '/', { timeoutMs: 10_000 });
    assert.equal(answer.status, 200);
    assert.ok(Date.now() - started < 2_000, `a request after the mark-down took ${Date.now() - started} ms`);
    bodies.push(answer.body.trim());
  }
  assert.deepEqual([...new Set(bodies)], ['web-1-2']);
  assert.equal(healthy.got.filter((p) => p === '/').length, 2 + 6, 'the healthy instance served the warm-up half and all 6 later requests');
});
