// test-lane: light
/**
 * What a router reports as in flight on a draining instance, against a real HAProxy: a request in flight
 * counts, an idle keep-alive connection does not, and a request that a reload left on an old worker
 * still counts until it ends.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { get, startBackend, startTestRouter, waitFor, type Backend } from './router-fixtures.js';

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

test('in flight on a draining server: requests count, idle keep-alive connections do not, old workers do', async () => {
  const backends: Backend[] = [await startBackend('web-1-1'), await startBackend('web-2-1')];
  cleanups.push(() => Promise.all(backends.map((b) => b.close())));
  const [old, fresh] = backends;
  const rt = await startTestRouter({ domain: 'paz', services: [{ name: 'web', servers: [old.asServer()] }] }, { process: { stopTimeoutMs: 20_000 } });
  cleanups.push(() => rt.cleanup());

  // a keep-alive client that used the old instance, now idle, and a slow request in flight on it
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
  cleanups.push(async () => keepAlive.destroy());
  assert.equal((await get(rt.port, 'web.paz', '/', { agent: keepAlive })).body, 'web-1-1\n');
  const slow = get(rt.port, 'web.paz', '/slow?ms=4000');
  await waitFor('the slow request to reach the old instance', () => (old.received === 2 ? true : undefined));

  await rt.router.apply({ domain: 'paz', services: [{ name: 'web', servers: [old.asServer('drain'), fresh.asServer()] }] });
  assert.deepEqual((await rt.router.drainingInFlight()).draining, { 'web-1-1': { sessions: 1, queued: 0 } });

  // a reload (a new service) leaves the slow request on an old worker; the new worker has no session for it
  await rt.router.apply({ domain: 'paz', services: [{ name: 'web', servers: [old.asServer('drain'), fresh.asServer()] }, { name: 'other', servers: [] }] });
  const afterReload = await rt.router.drainingInFlight();
  assert.ok(afterReload.oldWorkers >= 1, 'the reload left an old worker');
  assert.equal(afterReload.draining['web-1-1'].sessions, 1, "the old worker's request still counts");

  assert.equal((await slow).status, 200);
  const drained = await waitFor('nothing in flight on the draining instance', async () => {
    const r = await rt.router.drainingInFlight();
    return r.draining['web-1-1']?.sessions === 0 && !r.draining['web-1-1'].unknown ? r : undefined;
  });
  assert.deepEqual(drained.draining, { 'web-1-1': { sessions: 0, queued: 0 } }, 'the idle keep-alive connection does not hold the drain');
  // the idle keep-alive client's next request goes to the new instance
  assert.equal((await get(rt.port, 'web.paz', '/', { agent: keepAlive, retryReusedSocket: true })).body, 'web-2-1\n');
  assert.deepEqual((await rt.router.drainingInFlight()).draining, { 'web-1-1': { sessions: 0, queued: 0 } });
});
