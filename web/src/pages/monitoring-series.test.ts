import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyRates, hostColumns, pushRates, rateColumns, ratesBetween, requestCounts, serviceColumns } from './monitoring-series.js';

test('host history becomes time, CPU % and memory % columns', () => {
  const cols = hostColumns([
    { at: '2026-01-01T00:00:00Z', cpu: { busyFraction: 0.5, coresBusy: 1, cores: 2 }, memory: { totalBytes: 200, availableBytes: 150, usedBytes: 50 } },
    { at: '2026-01-01T00:00:05Z', cpu: { busyFraction: 0.123, coresBusy: 0.246, cores: 2 }, memory: { totalBytes: 200, availableBytes: 100, usedBytes: 100 } },
  ]);
  assert.deepEqual(cols, [[1767225600, 1767225605], [50, 12.3], [25, 50]]);
});

test('a service sums its units per sampling instant; unreadable units are left out', () => {
  const mib = 1024 * 1024;
  const cols = serviceColumns({
    service: 'web',
    totals: { cpu: 0, memoryBytes: 0 },
    units: {
      'web-1-1': { latest: null, history: [{ at: '2026-01-01T00:00:00.100Z', cpu: 0.1, memoryBytes: 10 * mib }, { at: '2026-01-01T00:00:05Z', cpu: 0.2, memoryBytes: 10 * mib }] },
      'web-1-2': { latest: null, history: [{ at: '2026-01-01T00:00:01Z', cpu: 0.3, memoryBytes: 5 * mib }] },
      'web-1-3': { error: 'agent unreachable' },
    },
  });
  assert.deepEqual(cols, [[1767225600, 1767225605], [40, 20], [15, 10]]);
});

test('request rates: per second between readings, restarts count from zero, new keys wait for a second reading', () => {
  assert.deepEqual(ratesBetween({ a: 10, b: 50 }, { a: 30, b: 5, c: 9 }, 5), { a: 4, b: 1 });
  assert.deepEqual(ratesBetween({ a: 1 }, { a: 2 }, 0), {});
});

test('counts are read per host frontend and summed per service across hosts; hosts without a router are skipped', () => {
  const c = (n: number) => ({ currentSessions: 0, queued: 0, totalSessions: n, totalRequests: n, responses5xx: 0, responseErrors: 0, connectionErrors: 0 });
  const router = (n: number) => ({ workerPid: 1, frontend: { ...c(n), responses4xx: 0 }, unknownHostRequests: 0, services: [{ ...c(n), name: 'web', status: 'UP', slots: 1, servers: [] }] });
  assert.deepEqual(requestCounts([{ host: 'h1', router: router(3) }, { host: 'h2', router: router(4) }, { host: 'h3', router: null, error: 'x' }], 9), { at: 9, hosts: { h1: 3, h2: 4 }, services: { web: 7 } });
});

test('the rate window keeps at most max points and fills gaps with null', () => {
  let h = pushRates(emptyRates, 1, { a: 1 }, 3);
  h = pushRates(h, 2, { a: 2, b: 5 }, 3);
  h = pushRates(h, 3, { b: 6 }, 3);
  h = pushRates(h, 4, { a: 4 }, 3);
  assert.deepEqual(h.times, [2, 3, 4]);
  assert.deepEqual(h.series, { a: [2, null, 4], b: [5, 6, null] });
  assert.deepEqual(rateColumns(h, 'zzz'), [[2, 3, 4], [null, null, null]]);
});
