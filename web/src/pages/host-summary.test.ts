import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capacityText, formatBytes, labelList, routerStateOf, usageOf } from './host-summary.js';

test('usage: cores busy of cores and memory used of total, as percentages', () => {
  const u = usageOf({ at: 't', cpu: { busyFraction: 0.25, coresBusy: 0.5, cores: 2 }, memory: { totalBytes: 4096, availableBytes: 1024, usedBytes: 3072 } });
  assert.deepEqual(u.cpu, { busy: 0.5, cores: 2, percent: 25 });
  assert.deepEqual(u.memory, { usedBytes: 3072, totalBytes: 4096, percent: 75 });
  assert.deepEqual(usageOf(null), {});
});

test('capacity and bytes read as a person writes them', () => {
  assert.equal(capacityText({ TotalResources: { Cores: 2, Memory: 2048, Disk: 0 } }), '2 cores, 2.0 GiB');
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(300 * 1024 * 1024), '300 MiB');
});

test('router state: running with its services, down with the reason, unknown when not reported', () => {
  const counters = { currentSessions: 0, queued: 0, totalSessions: 3, totalRequests: 3, responses5xx: 0, responseErrors: 0, connectionErrors: 0 };
  const running = routerStateOf({
    host: 'h1',
    router: {
      workerPid: 1,
      frontend: { ...counters, responses4xx: 0 },
      unknownHostRequests: 0,
      services: [{ ...counters, name: 'web', status: 'UP', slots: 4, servers: [{ ...counters, name: 'web-1-1', slot: 'slot1', address: '127.0.0.1', port: 31000, status: 'UP', statusText: 'UP', state: 'ready', weight: 1, checkStatus: 'L4OK' }] }],
    },
  });
  assert.equal(running.state, 'running');
  assert.deepEqual(running.services, [{ name: 'web', status: 'UP', up: 1, servers: 1, requests: 3 }]);
  assert.match(running.detail, /1 service routed, 3 requests/);
  assert.deepEqual(routerStateOf({ host: 'h1', router: null, error: 'timeout' }), { state: 'down', detail: 'timeout', services: [] });
  assert.equal(routerStateOf(undefined).state, 'unknown');
});

test('labels sorted as key=value', () => {
  assert.deepEqual(labelList({ zone: 'b', disk: 'ssd' }), ['disk=ssd', 'zone=b']);
  assert.deepEqual(labelList(undefined), []);
});
