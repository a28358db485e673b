// test-lane: normal
/**
 * Host routing through a real HAProxy: names, case and port suffixes, the 404 for unknown Hosts,
 * round robin, the default service and the answer of a service without instances.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { routerThreadsFor } from '../src/core/router-threads.js';
import { freePort, get, startBackend, startTestRouter, tally, type Backend, type TestRouter } from './router-fixtures.js';

let api: Backend[];
let web: Backend;
let rt: TestRouter;
let statsPort: number;

before(async () => {
  api = await Promise.all(['demo-api-1-1', 'demo-api-1-2', 'demo-api-1-3'].map(startBackend));
  web = await startBackend('web-1-1');
  statsPort = await freePort();
  rt = await startTestRouter({
    domain: 'example.com',
    services: [
      { name: 'demo-api', servers: api.map((b) => b.asServer()) },
      { name: 'web', servers: [web.asServer()] },
      { name: 'empty', servers: [] },
    ],
  }, { stats: { address: '127.0.0.1', port: statsPort } });
});

after(async () => {
  await rt?.cleanup();
  await Promise.all([...(api ?? []), web].filter(Boolean).map((b) => b.close()));
});

test('x.paz, x.<domain>, X.PAZ:8080 and the absolute web.paz. reach the service', async () => {
  for (const host of ['web.paz', 'web.example.com', 'WEB.PAZ:8080', 'Web.Example.Com:80', 'web.paz.', 'Web.Example.Com.:80']) {
    const answer = await get(rt.port, host);
    assert.equal(answer.status, 200, host);
    assert.equal(answer.body, 'web-1-1\n', host);
  }
});

test('HAProxy runs the router\'s thread count (half the CPUs, one on a 2-CPU host), not one thread per CPU', async () => {
  const info = await rt.router.runtime.command('show info');
  assert.match(info, new RegExp(`^Nbthread: ${routerThreadsFor(availableParallelism())}$`, 'm'));
});

test('an unknown Host gets a 404 with a clear text body', async () => {
  const answer = await get(rt.port, 'nope.paz');
  assert.equal(answer.status, 404);
  assert.equal(answer.body, 'No service answers to Host nope.paz on this Paz router\n');
  assert.match(String(answer.headers['content-type']), /^text\/plain/);
  // a service name under a foreign domain is unknown too
  assert.equal((await get(rt.port, 'web.other.org')).status, 404);
});

test('a request without a Host header gets a 404 that says so', async () => {
  const answer = await get(rt.port, null);
  assert.equal(answer.status, 404);
  assert.match(answer.body, /No Host header/);
});

test('round robin spreads requests evenly over 3 instances', async () => {
  const bodies: string[] = [];
  for (let i = 0; i < 30; i++) {
    const answer = await get(rt.port, 'demo-api.paz');
    assert.equal(answer.status, 200);
    bodies.push(answer.body);
  }
  const counts = tally(bodies);
  console.log('round robin over 3 instances, 30 requests:', counts);
  assert.deepEqual(Object.keys(counts).sort(), ['demo-api-1-1', 'demo-api-1-2', 'demo-api-1-3']);
  for (const [name, n] of Object.entries(counts)) assert.ok(n >= 8 && n <= 12, `${name} got ${n} of 30`);
});

test('a service without instances answers 503 naming the service', async () => {
  const answer = await get(rt.port, 'empty.paz');
  assert.equal(answer.status, 503);
  assert.match(answer.body, /Service empty has no instance available/);
});

test('a default service answers unknown Hosts (the host port 80 case)', async () => {
  const result = await rt.router.apply({
    domain: 'example.com',
    defaultService: 'web',
    services: [
      { name: 'demo-api', servers: api.map((b) => b.asServer()) },
      { name: 'web', servers: [web.asServer()] },
      { name: 'empty', servers: [] },
    ],
  });
  assert.equal(result.reloaded, true);
  assert.equal((await get(rt.port, 'anything.example.org')).body, 'web-1-1\n');
  assert.equal((await get(rt.port, '127.0.0.1')).body, 'web-1-1\n');
  assert.equal((await get(rt.port, 'demo-api.paz')).status, 200);
});

test('the stats listener serves the HAProxy stats page and Prometheus metrics', async () => {
  await get(rt.port, 'web.paz');
  const page = await get(statsPort, 'localhost', '/');
  assert.equal(page.status, 200);
  assert.match(page.body, /backend-demo-api/);
  const metrics = await get(statsPort, 'localhost', '/metrics');
  assert.equal(metrics.status, 200);
  assert.match(metrics.body, /haproxy_backend_http_requests_total\{proxy="backend-web"\} [1-9]/);
});
