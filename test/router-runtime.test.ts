// test-lane: light
/**
 * Changes applied through HAProxy's runtime API, without a reload: adding and removing instances,
 * health checks taking a dead instance out, draining, stats; and the reload when slots run out.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { get, startBackend, startTestRouter, tally, waitFor, type Backend, type TestRouter } from './router-fixtures.js';
import type { RouteServer, RouteTable } from '../src/router/route-table.js';
import { HaproxyCommandError } from '../src/router/haproxy-runtime.js';
import { createServer as createNetServer, type AddressInfo } from 'node:net';

const backends: Backend[] = [];
let rt: TestRouter;

async function backend(name: string): Promise<Backend> {
  const b = await startBackend(name);
  backends.push(b);
  return b;
}

const table = (servers: RouteServer[]): RouteTable => ({ domain: 'paz', services: [{ name: 'api', servers }] });

async function answers(count: number, host = 'api.paz', path = '/'): Promise<string[]> {
  const bodies: string[] = [];
  for (let i = 0; i < count; i++) {
    const answer = await get(rt.port, host, path);
    assert.equal(answer.status, 200, `request ${i}: ${answer.status} ${answer.body}`);
    bodies.push(answer.body.trim());
  }
  return bodies;
}

async function serverStatus(name: string): Promise<string | undefined> {
  const stats = await rt.router.stats();
  return stats.services.find((s) => s.name === 'api')?.servers.find((s) => s.name === name)?.status;
}

before(async () => {
  rt = await startTestRouter(table([]));
});

after(async () => {
  await rt?.cleanup();
  await Promise.all(backends.map((b) => b.close()));
});

test('adding and removing instances goes through the runtime API: same worker, traffic follows', async () => {
  const [a, b, c] = [await backend('api-1-1'), await backend('api-1-2'), await backend('api-1-3')];
  const workerBefore = await rt.router.runtime.workerPid();
  const reloadsBefore = (await rt.router.processes()).reloads;

  let result = await rt.router.apply(table([a.asServer()]));
  assert.deepEqual(result, { reloaded: false, reloadReasons: [], runtimeCommands: 3 });
  assert.deepEqual(tally(await answers(4)), { 'api-1-1': 4 });

  result = await rt.router.apply(table([a.asServer(), b.asServer(), c.asServer()]));
  assert.equal(result.reloaded, false);
  assert.deepEqual(tally(await answers(9)), { 'api-1-1': 3, 'api-1-2': 3, 'api-1-3': 3 });

  result = await rt.router.apply(table([b.asServer(), c.asServer()]));
  assert.equal(result.reloaded, false);
  assert.equal(result.runtimeCommands, 1, 'one command: the slot of api-1-1 goes to maintenance');
  assert.deepEqual(tally(await answers(6)), { 'api-1-2': 3, 'api-1-3': 3 });

  assert.equal(await rt.router.runtime.workerPid(), workerBefore, 'the same HAProxy worker serves: no reload');
  assert.equal((await rt.router.processes()).reloads, reloadsBefore);
  const slots = (await rt.router.stats()).services[0].servers.map((s) => `${s.name}@${s.slot}`);
  assert.deepEqual(slots, ['api-1-2@slot2', 'api-1-3@slot3'], 'servers kept their slots');
});

test('an instance whose process dies is taken out by the health checks', async () => {
  const [live, doomed] = [await backend('api-2-1'), await backend('api-2-2')];
  await rt.router.apply(table([live.asServer(), doomed.asServer()]));
  assert.deepEqual(new Set(await answers(4)), new Set(['api-2-1', 'api-2-2']));

  await doomed.close();
  const status = await waitFor('HAProxy to mark api-2-2 DOWN', async () => ((await serverStatus('api-2-2')) === 'DOWN' ? 'DOWN' : undefined));
  assert.equal(status, 'DOWN');
  const stats = await rt.router.stats();
  // a connection refused (L4CON), or a check under way when the process died cut off (SOCKERR): both a layer-4 failure
  assert.match(stats.services[0].servers.find((s) => s.name === 'api-2-2')?.checkStatus ?? '', /^(L4CON|SOCKERR)$/);
  // every request succeeds and goes to the live instance
  assert.deepEqual(tally(await answers(10)), { 'api-2-1': 10 });
});

test("an instance behind a proxy that accepts connections but never answers is taken out: the router's checks are HTTP", async () => {
  // what docker-proxy does for a container whose app does not listen yet: accept, then nothing
  const silent = createNetServer((socket) => socket.on('error', () => undefined));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const silentPort = (silent.address() as AddressInfo).port;
  try {
    const live = await backend('api-9-1');
    await rt.router.apply(table([live.asServer(), { name: 'api-9-2', address: '127.0.0.1', port: silentPort, state: 'ready' }]));
    await waitFor('HAProxy to mark the silent api-9-2 DOWN', async () => ((await serverStatus('api-9-2')) === 'DOWN' ? true : undefined));
    const check = (await rt.router.stats()).services[0].servers.find((s) => s.name === 'api-9-2')?.checkStatus;
    assert.match(check ?? '', /^L7/, `an HTTP-level check failure, not a TCP one: ${check}`);
    assert.ok(live.checks > 0, 'the live instance answered HTTP checks');
    assert.deepEqual(tally(await answers(6)), { 'api-9-1': 6 });
  } finally {
    silent.close();
  }
});

test('drain: a slow request in flight to a draining instance completes while new requests go elsewhere', async () => {
  const [old, fresh] = [await backend('api-3-1'), await backend('api-4-1')];
  await rt.router.apply(table([old.asServer()]));
  const slow = get(rt.port, 'api.paz', '/slow?ms=5000');
  await waitFor('the slow request to reach api-3-1', async () => {
    const server = (await rt.router.stats()).services[0].servers.find((s) => s.name === 'api-3-1');
    return server && server.currentSessions > 0 ? true : undefined;
  });

  const result = await rt.router.apply(table([old.asServer('drain'), fresh.asServer()]));
  assert.equal(result.reloaded, false);
  assert.equal(old.served, 0, 'the slow request is still in flight when the drain starts');
  assert.equal(await serverStatus('api-3-1'), 'DRAIN');
  assert.deepEqual(tally(await answers(8)), { 'api-4-1': 8 });
  assert.equal(old.served, 0, 'the new requests were answered while the slow one was in flight');

  const answer = await slow;
  assert.equal(answer.status, 200);
  assert.equal(answer.body, 'api-3-1\n', 'the request in flight finished on the draining instance');

  // gone from the table: the slot goes to maintenance
  await rt.router.apply(table([fresh.asServer()]));
  const stats = await rt.router.stats();
  assert.deepEqual(stats.services[0].servers.map((s) => s.name), ['api-4-1']);
  const rows = await rt.router.runtime.showServersState('backend-api');
  const slotOfOld = rows.find((r) => r.srv_port === String(old.port));
  assert.ok(slotOfOld, 'the old slot still points at api-3-1');
  assert.notEqual(Number(slotOfOld.srv_admin_state) & 0x01, 0, 'forced maintenance (admin state flag 0x01)');
});

test('stats reflect traffic per service and per instance', async () => {
  const [x, y] = [await backend('api-5-1'), await backend('api-5-2')];
  await rt.router.apply(table([x.asServer(), y.asServer()]));
  const before = await rt.router.stats();
  const serviceBefore = before.services[0];
  assert.deepEqual(
    serviceBefore.servers.map((s) => [s.name, s.totalRequests, s.status, s.weight]),
    [['api-5-1', 0, 'UP', 100], ['api-5-2', 0, 'UP', 100]],
    'new instances count from zero even in reused slots',
  );
  await answers(20);
  for (let i = 0; i < 3; i++) assert.equal((await get(rt.port, 'unknown.paz')).status, 404);

  const stats = await rt.router.stats();
  const service = stats.services[0];
  assert.equal(service.totalRequests - serviceBefore.totalRequests, 20);
  assert.deepEqual(service.servers.map((s) => [s.name, s.totalRequests, s.totalSessions]), [['api-5-1', 10, 10], ['api-5-2', 10, 10]]);
  assert.equal(service.servers[0].responses5xx, 0);
  assert.equal(service.currentSessions, 0);
  assert.equal(service.queued, 0);
  assert.equal(stats.unknownHostRequests - before.unknownHostRequests, 3);
  assert.equal(stats.workerPid, await rt.router.runtime.workerPid());
  console.log('stats after 20 requests:', JSON.stringify(service.servers.map(({ name, slot, status, checkStatus, totalRequests }) => ({ name, slot, status, checkStatus, totalRequests }))));
});

test('weights change at runtime', async () => {
  const [h, l] = [await backend('api-6-1'), await backend('api-6-2')];
  await rt.router.apply(table([h.asServer('ready', 200), l.asServer('ready', 100)]));
  const counts = tally(await answers(30));
  console.log('weights 200:100 over 30 requests:', counts);
  assert.equal(counts['api-6-1'] + counts['api-6-2'], 30);
  assert.ok(counts['api-6-1'] >= 18 && counts['api-6-1'] <= 22, `api-6-1 (weight 200) got ${counts['api-6-1']} of 30`);
  const stats = await rt.router.stats();
  assert.deepEqual(stats.services[0].servers.map((s) => s.weight), [200, 100]);
});

test('more instances than slots: one reload grows the backend, kept instances keep their slots', async () => {
  const first = await backend('api-7-1');
  await rt.router.apply(table([first.asServer()]));
  const slotBefore = (await rt.router.stats()).services[0].servers[0].slot;
  const many = [first];
  for (let i = 2; i <= 10; i++) many.push(await backend(`api-7-${i}`));
  const result = await rt.router.apply(table(many.map((b) => b.asServer())));
  assert.equal(result.reloaded, true);
  assert.match(result.reloadReasons.join(), /needs 10 slots and has 8/);
  const service = (await rt.router.stats()).services[0];
  assert.equal(service.slots, 32);
  assert.equal(service.servers.find((s) => s.name === 'api-7-1')?.slot, slotBefore);
  assert.equal(new Set(await answers(20)).size, 10);
});

test('runtime API errors name the command and carry HAProxy\'s answer', async () => {
  await assert.rejects(rt.router.runtime.setServerWeight('backend-api', 'slot999', 10), (error: unknown) => {
    assert.ok(error instanceof HaproxyCommandError);
    assert.equal(error.command, 'set server backend-api/slot999 weight 10');
    assert.match(error.answer, /No such server/);
    assert.match(error.message, /set server backend-api\/slot999 weight 10.*No such server/);
    return true;
  });
  await assert.rejects(rt.router.runtime.setServerAddr('backend-nope', 'slot1', '127.0.0.1', 80), /HAProxy refused "set server backend-nope\/slot1 addr 127.0.0.1 port 80"/);
  await assert.rejects(rt.router.runtime.showServersState('backend-nope'), HaproxyCommandError);
  // arguments that would smuggle a second command are refused before anything is sent
  await assert.rejects(rt.router.runtime.setServerState('backend-api', 'slot1\nshutdown sessions', 'ready'), /invalid HAProxy server name/);
  const rows = await rt.router.runtime.showServersState('backend-api');
  assert.ok(rows.length >= 8 && rows.every((r) => r.be_name === 'backend-api'));
});
