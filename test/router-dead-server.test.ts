// test-lane: light
/**
 * An instance that stops answering mid-request (its host lost power; here: a backend process frozen with
 * SIGSTOP, its socket still open, so connects still succeed and nothing ever answers) through a real
 * HAProxy run by the Paz router:
 * - the router's own checks mark it down seconds after the freeze (the request already in its hands waits for
 *   `timeout server`: see render-config.ts for why sessions are not cut at the mark-down);
 * - requests started after that are served by the healthy instance, at once.
 * And an instance that refuses connections before its checks notice: its requests are retried on the other
 * instance (`option redispatch 1`, `retries 3`) instead of failing. And an instance killed while it holds
 * requests: the GET it held is sent again to the other instance (`retry-on empty-response`), the POST is not.
 * Backends are child processes (or servers of this process) started here and ended by PID, pass or fail;
 * everything is on loopback.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createInterface } from 'node:readline';
import { get, startBackend, startTestRouter, waitFor, type Backend, type TestRouter } from './router-fixtures.js';

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
let refusedRt: TestRouter | undefined;
let killedRt: TestRouter | undefined;
const survivors: Backend[] = [];
let live: Backend | undefined;
let doomed: Backend | undefined;

after(async () => {
  await rt?.cleanup();
  await refusedRt?.cleanup();
  await killedRt?.cleanup();
  await live?.close();
  await doomed?.close();
  for (const b of survivors) await b.close();
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

test('a frozen instance: the router checks mark it down within seconds, later requests go to the healthy one at once', async () => {
  const frozen = await startChildBackend('web-1-1');
  const healthy = await startChildBackend('web-1-2');
  rt = await startTestRouter({
    domain: 'paz',
    services: [{ name: 'web', servers: [frozen, healthy].map((b) => ({ name: b.name, address: '127.0.0.1', port: b.port, state: 'ready' as const })) }],
  });
  const router = rt;
  // both instances pass their checks before the test starts
  for (let i = 0; i < 4; i++) assert.equal((await get(router.port, 'web.paz')).status, 200);

  // A slow request on each instance (round robin), then the frozen one stops answering. The request it holds
  // waits for `timeout server` (the router keeps sessions on a marked-down server: render-config.ts says why),
  // so it is not awaited here; the healthy instance's is answered.
  const slow = () => get(router.port, 'web.paz', '/slow?ms=3000', { timeoutMs: 90_000 }).catch((error: Error) => ({ status: 0, body: error.message }));
  // Sent together, the two may reach HAProxy in either order (so either may be the one round robin gives the
  // frozen instance): the healthy instance's answer is whichever comes first.
  const both = [slow(), slow()];
  await until('the frozen instance to receive its slow request', () => frozen.got.includes('/slow?ms=3000'), 5_000);
  await until('the healthy instance to receive its slow request', () => healthy.got.includes('/slow?ms=3000'), 5_000);
  process.kill(frozen.child.pid!, 'SIGSTOP');
  const frozenAt = Date.now();
  assert.equal((await Promise.race(both)).body, 'web-1-2\n', 'the healthy instance answered its request');
  // checks: connect succeeds (the socket is open), the answer times out (timeout check 2 s), twice (fall 2),
  // the first within `inter` 1 s: marked down 3-6 s after the freeze, by the router's own checks
  let downAfter = 0;
  for (const until = Date.now() + 15_000; Date.now() < until && !downAfter; await new Promise((r) => setTimeout(r, 100))) {
    const stat = (await router.router.runtime.showStat()).find((r) => r.pxname === 'backend-web' && r.svname === 'slot1');
    if (String(stat?.status).startsWith('DOWN')) downAfter = Date.now() - frozenAt;
  }
  console.log('figures:', JSON.stringify({ markedDownAfterFreezeMs: downAfter }));
  assert.ok(downAfter > 0, 'the frozen instance is marked down within 15 s of the freeze');
  void both;
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

test('an instance whose connections are refused while still marked up: its requests go to the other instance (redispatch)', async () => {
  // Both instances pass their first check; then one stops listening (connections refused, as a crashed
  // process's port). Checks 5 s apart with fall 2 keep it UP for seconds after that: only the retry on
  // another server (option redispatch 1, retries 3) keeps its share of the requests from failing.
  // (A server that fails its very first check is DOWN at once: HAProxy starts servers at the rise threshold.)
  doomed = await startBackend('web-1-1');
  live = await startBackend('web-1-2');
  refusedRt = await startTestRouter({ domain: 'paz', services: [{ name: 'web', servers: [doomed.asServer(), live.asServer()] }] }, { healthCheck: { intervalMs: 5_000 } });
  const router = refusedRt;
  await waitFor('both instances checked once', () => doomed!.checks >= 1 && live!.checks >= 1, 15_000);
  await doomed.close();
  const bodies: string[] = [];
  for (let i = 0; i < 10; i++) {
    const answer = await get(router.port, 'web.paz', '/', { timeoutMs: 10_000 });
    assert.equal(answer.status, 200, `request ${i + 1}: ${answer.status} ${answer.body}`);
    bodies.push(answer.body.trim());
  }
  assert.deepEqual([...new Set(bodies)], ['web-1-2']);
  const stat = (await router.router.runtime.showStat()).find((r) => r.pxname === 'backend-web' && r.svname === 'slot1');
  console.log('figures:', JSON.stringify({ status: stat?.status, retries: stat?.wretr, redispatches: stat?.wredis }));
  assert.match(String(stat?.status), /^UP/, 'the refusing instance was still marked up: its requests were redispatched, not routed around by checks');
  assert.ok(Number(stat?.wredis) >= 1, 'HAProxy counted the redispatches');
});

/** One request with a small body through `port` (no keep-alive); a failure to get any answer is thrown. */
function send(port: number, host: string, method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = method === 'GET' ? '' : 'order=1\n';
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host, 'content-length': String(Buffer.byteLength(body)) }, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}

test('an instance killed while it holds requests: its GET is answered by another instance, its POST fails once and is not sent again', async () => {
  // An app killed mid-request (out of memory, kill -9, its host rebooted under it) closes its connections
  // without an answer. A GET it held is sent again, to another instance (retry-on empty-response, with
  // redispatch): what nginx does by default, and what a client would have to do otherwise. A POST may have
  // done its work before the kill: the router answers 502 and does not send it to anyone else.
  const getVictim = await startChildBackend('get-1-1');
  const postVictim = await startChildBackend('post-1-1');
  const getSurvivor = await startBackend('get-1-2');
  const postSurvivor = await startBackend('post-1-2');
  survivors.push(getSurvivor, postSurvivor);
  killedRt = await startTestRouter({
    domain: 'paz',
    services: [
      { name: 'get', servers: [{ name: getVictim.name, address: '127.0.0.1', port: getVictim.port, state: 'ready' as const }, getSurvivor.asServer()] },
      { name: 'post', servers: [{ name: postVictim.name, address: '127.0.0.1', port: postVictim.port, state: 'ready' as const }, postSurvivor.asServer()] },
    ],
  });
  const router = killedRt;
  await waitFor('every instance checked once', () => getSurvivor.checks >= 1 && postSurvivor.checks >= 1, 15_000);

  const outcomes: Record<string, Array<{ status: number; body: string }>> = {};
  for (const [method, service, victim, survivor] of [['GET', 'get', getVictim, getSurvivor], ['POST', 'post', postVictim, postSurvivor]] as const) {
    const path = `/slow?ms=2000&method=${method}`;
    // two at once: round robin gives the victim one of them, whichever reaches HAProxy first
    const both = [send(router.port, `${service}.paz`, method, path), send(router.port, `${service}.paz`, method, path)].map((p) =>
      p.catch((error: Error) => ({ status: 0, body: error.message })),
    );
    await until(`${victim.name} to hold its request`, () => victim.got.includes(path), 5_000);
    await until(`${survivor.name} to hold its request`, () => survivor.received >= 1, 5_000);
    process.kill(victim.child.pid!, 'SIGKILL');
    outcomes[method] = await Promise.all(both);
    const stat = (await router.router.runtime.showStat()).find((r) => r.pxname === `backend-${service}` && r.svname === 'slot1');
    console.log('figures:', JSON.stringify({ method, answers: outcomes[method].map((o) => `${o.status} ${o.body.trim()}`), survivorReceived: survivor.received, retries: stat?.wretr, redispatches: stat?.wredis }));
  }
  assert.deepEqual(outcomes.GET.map((o) => `${o.status} ${o.body}`), ['200 get-1-2\n', '200 get-1-2\n'], 'both GETs answered, the killed instance\'s by the other one');
  assert.equal(getSurvivor.received, 2, 'the GET the killed instance held was sent to the other instance, once');
  assert.deepEqual(
    outcomes.POST.map((o) => o.status).sort(),
    [200, 502],
    `the POST the killed instance held failed, the other was answered: ${JSON.stringify(outcomes.POST)}`,
  );
  assert.equal(postSurvivor.received, 1, 'the POST the killed instance held was not sent to the other instance');
});
