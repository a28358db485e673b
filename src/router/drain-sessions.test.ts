import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drainingInFlight } from './drain-sessions.js';
import type { StatRow } from './parse-runtime-output.js';
import type { RouterLayout } from './router-layout.js';

const row = (pxname: string, svname: string, fields: Record<string, string>): StatRow => ({ pxname, svname, ...fields });
const layout: RouterLayout = {
  domain: 'paz',
  backends: [
    {
      service: 'web',
      slots: [
        { server: 'web-2-1', address: '127.0.0.1', port: 3002, weight: 100, state: 'ready' },
        { server: 'web-1-1', address: '127.0.0.1', port: 3001, weight: 100, state: 'drain' },
      ],
    },
  ],
};

test('only draining servers are reported, with scur and qcur of the current worker', () => {
  const rows = [row('backend-web', 'slot1', { scur: '5', qcur: '0' }), row('backend-web', 'slot2', { scur: '1', qcur: '2' })];
  assert.deepEqual(drainingInFlight(layout, rows, []), { 'web-1-1': { sessions: 1, queued: 2 } });
});

test("old workers' requests count, matched by address since their slots may differ", () => {
  const rows = [row('backend-web', 'slot2', { scur: '0', qcur: '0' })];
  const old = [
    { pid: 7, rows: [row('backend-web', 'slot1', { scur: '1', addr: '127.0.0.1:3001' }), row('backend-web', 'slot2', { scur: '4', addr: '127.0.0.1:3009' })] },
  ];
  assert.deepEqual(drainingInFlight(layout, rows, old), { 'web-1-1': { sessions: 1, queued: 0 } });
});

test('an old worker that does not answer makes the numbers unknown', () => {
  const out = drainingInFlight(layout, [], [{ pid: 7, error: 'timeout' }]);
  assert.equal(out['web-1-1'].sessions, 0);
  assert.match(out['web-1-1'].unknown ?? '', /old HAProxy worker 7 did not answer: timeout/);
});
