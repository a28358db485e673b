// Routine router events are not warnings: a reload (here: more instances than slots) logs at info, and
// nothing the router (or HAProxy, through it) says along the way logs at warn or above.
// test-lane: normal
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startBackend, startTestRouter, waitFor, type Backend, type TestRouter } from './router-fixtures.js';
import type { RouteServer, RouteTable } from '../src/router/route-table.js';

const lines: Array<{ level: number; msg: string }> = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
    done();
  },
});
const backends: Backend[] = [];
let rt: TestRouter | undefined;
const table = (servers: RouteServer[]): RouteTable => ({ domain: 'paz', services: [{ name: 'api', servers }] });

after(async () => {
  await rt?.cleanup();
  await Promise.all(backends.map((b) => b.close()));
});

test('a router reload logs at info and nothing at warn', async () => {
  rt = await startTestRouter(table([]), { logger: pino({ level: 'debug' }, sink) });
  for (let i = 1; i <= 10; i++) backends.push(await startBackend(`api-1-${i}`));
  const result = await rt.router.apply(table(backends.map((b) => b.asServer())));
  assert.equal(result.reloaded, true);
  // the former worker's exit is HAProxy's last word on the reload
  await waitFor('the former HAProxy worker to exit', async () => lines.some((l) => /Former worker \(\d+\) exited/.test(l.msg)));
  const reloaded = lines.find((l) => l.msg === 'router: haproxy reloaded');
  assert.equal(reloaded?.level, 30, 'the reload is an info line');
  assert.deepEqual(lines.filter((l) => l.level >= 40).map((l) => l.msg), [], 'no warnings or errors');
});

test('the server states a deploy sets (drained, emptied, filled again) and a recovery log at info', async () => {
  assert.ok(rt, 'the router of the test before');
  const servers = backends.map((b) => b.asServer());
  const from = lines.length;
  // a deploy's drain of the old instances, then their removal, then new ones in the freed slots (no reload)
  await rt.router.apply(table([...backends.slice(0, 5).map((b) => b.asServer('drain')), ...servers.slice(5)]));
  await rt.router.apply(table(servers.slice(5)));
  await rt.router.apply(table(servers));
  // an instance its checks see down (a warning: something to look at), then answering again (info)
  await backends[9]!.close();
  await waitFor('HAProxy to see the closed instance down', async () => lines.slice(from).some((l) => /slot\d+ is DOWN, reason/.test(l.msg)));
  backends[9] = await startBackend('api-1-10', backends[9]!.port);
  await waitFor('HAProxy to see it up again', async () => lines.slice(from).some((l) => /is UP, reason/.test(l.msg)));
  const said = lines.slice(from);
  for (const step of [/enters drain state/, /going DOWN for maintenance/, /leaving forced maintenance/]) assert.ok(said.some((l) => step.test(l.msg)), `HAProxy said ${step}: ${said.map((l) => l.msg).join(' | ')}`);
  assert.deepEqual(said.filter((l) => l.level >= 40).map((l) => l.msg).filter((m) => !/is DOWN, reason/.test(m)), [], 'only the instance found down is a warning');
  assert.ok(said.some((l) => l.level === 40 && /is DOWN, reason/.test(l.msg)), 'the instance found down is a warning');
});
