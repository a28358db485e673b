import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRouterStats, serverStatusOf, slotKey } from './router-stats.js';
import type { StatRow } from './parse-runtime-output.js';
import type { RouterLayout } from './router-layout.js';

const row = (pxname: string, svname: string, fields: Record<string, string>): StatRow => ({ pxname, svname, ...fields });

const layout: RouterLayout = {
  domain: 'paz',
  backends: [
    {
      service: 'web',
      slots: [
        { server: 'web-1-1', address: '127.0.0.1', port: 3001, weight: 100, state: 'ready' },
        null,
        { server: 'web-1-3', address: '127.0.0.1', port: 3003, weight: 50, state: 'drain' },
      ],
    },
  ],
};

const rows: StatRow[] = [
  row('paz-http', 'FRONTEND', { scur: '3', stot: '70', req_tot: '75', hrsp_4xx: '5', hrsp_5xx: '1' }),
  row('backend-web', 'slot1', { scur: '1', qcur: '0', stot: '40', req_tot: '40', hrsp_5xx: '1', eresp: '0', econ: '2', status: 'UP', weight: '100', check_status: 'L4OK' }),
  row('backend-web', 'slot2', { stot: '99', status: 'MAINT', weight: '1' }),
  row('backend-web', 'slot3', { scur: '2', stot: '30', req_tot: '30', status: 'DRAIN', weight: '50', check_status: 'L4OK' }),
  row('backend-web', 'BACKEND', { scur: '3', qcur: '1', stot: '70', req_tot: '70', hrsp_5xx: '1', status: 'UP' }),
  row('paz-no-service', 'BACKEND', { stot: '5' }),
];

test('per service and per instance numbers, free slots left out, unit names instead of slots', () => {
  const stats = buildRouterStats(rows, layout, new Map(), 4242);
  assert.equal(stats.workerPid, 4242);
  assert.equal(stats.frontend.totalRequests, 75);
  assert.equal(stats.frontend.responses4xx, 5);
  assert.equal(stats.unknownHostRequests, 5);
  const web = stats.services[0];
  assert.equal(web.name, 'web');
  assert.equal(web.slots, 3);
  assert.equal(web.queued, 1);
  assert.equal(web.totalRequests, 70);
  assert.deepEqual(web.servers.map((s) => [s.name, s.slot, s.status, s.weight]), [
    ['web-1-1', 'slot1', 'UP', 100],
    ['web-1-3', 'slot3', 'DRAIN', 50],
  ]);
  assert.deepEqual(web.servers[0], {
    name: 'web-1-1', slot: 'slot1', address: '127.0.0.1', port: 3001, state: 'ready', weight: 100, status: 'UP',
    statusText: 'UP', checkStatus: 'L4OK', currentSessions: 1, queued: 0, totalSessions: 40, totalRequests: 40,
    responses5xx: 1, responseErrors: 0, connectionErrors: 2,
  });
});

test('an instance counts from the moment it moved into its slot', () => {
  const baselines = new Map([[slotKey('web', 2), { totalSessions: 25, totalRequests: 25, responses5xx: 0, responseErrors: 0, connectionErrors: 0 }]]);
  const stats = buildRouterStats(rows, layout, baselines, 1);
  const drained = stats.services[0].servers[1];
  assert.equal(drained.totalRequests, 5);
  assert.equal(drained.totalSessions, 5);
  assert.equal(drained.currentSessions, 2, 'gauges are not baselined');
});

test('HAProxy status texts map to four states', () => {
  assert.equal(serverStatusOf('UP'), 'UP');
  assert.equal(serverStatusOf('UP 1/2'), 'UP');
  assert.equal(serverStatusOf('no check'), 'UP');
  assert.equal(serverStatusOf('DOWN'), 'DOWN');
  assert.equal(serverStatusOf('DOWN 1/2'), 'DOWN');
  assert.equal(serverStatusOf('DRAIN'), 'DRAIN');
  assert.equal(serverStatusOf('NOLB'), 'DRAIN');
  assert.equal(serverStatusOf('MAINT'), 'MAINT');
  assert.equal(serverStatusOf('MAINT (via backend-x/slot1)'), 'MAINT');
});
