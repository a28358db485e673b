import { test } from 'node:test';
import assert from 'node:assert/strict';
import { haproxyLineLevel } from './haproxy-line-level.js';

test("a reload's routine HAProxy [WARNING] lines are info", () => {
  for (const line of [
    '[WARNING]  (16934) : Proxy paz-http stopped (cumulated conns: FE: 0, BE: 0).',
    '[WARNING]  (16934) : Proxy <HTTPCLIENT> stopped (cumulated conns: FE: 0, BE: 0).',
    '[WARNING]  (16932) : Former worker (16934) exited with code 0 (Exit)',
    '[NOTICE]   (16932) : Loading success.',
  ]) assert.equal(haproxyLineLevel(line, false), 'info', line);
});

test('the server states Paz sets through the runtime API, and a recovery, are info', () => {
  for (const line of [
    '[WARNING]  (336) : Server backend-web/slot3 is UP/READY (leaving forced maintenance).',
    '[WARNING]  (336) : Server backend-web/slot1 is UP/READY (leaving forced drain).',
    '[WARNING]  (336) : Server backend-web/slot1 enters drain state. 3 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
    '[WARNING]  (2029) : Server backend-web/slot3 remains in forced drain mode.',
    '[WARNING]  (336) : Server backend-web/slot1 is going DOWN for maintenance. 2 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
    '[WARNING]  (2114) : Server backend-web/slot1 was DOWN and now enters maintenance.',
    '[WARNING]  (2114) : Server backend-web/slot1 is UP, reason: Layer7 check passed, code: 200, check duration: 1ms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
  ]) assert.equal(haproxyLineLevel(line, false), 'info', line);
});

test('a server its checks find down is a warning, a backend left with none an error', () => {
  assert.equal(haproxyLineLevel('[WARNING]  (2114) : Server backend-web/slot1 is DOWN, reason: Layer7 wrong status, code: 404, info: "Not Found", check duration: 1ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.', false), 'warn');
  assert.equal(haproxyLineLevel("[ALERT]    (2114) : backend 'backend-web' has no server available!", false), 'error');
});

test('other HAProxy warnings stay warnings; alerts are errors', () => {
  assert.equal(haproxyLineLevel('[WARNING]  (1) : Former worker (2) exited with code 139 (Segmentation fault)', false), 'warn');
  assert.equal(haproxyLineLevel("[WARNING]  (1) : config : 'option forwardfor' ignored", false), 'warn');
  assert.equal(haproxyLineLevel('[ALERT]    (1) : config : parsing error', false), 'error');
});

test('while the router stops HAProxy, its lines are info', () => {
  assert.equal(haproxyLineLevel('[ALERT]    (1) : Current worker (2) exited with code 143 (Terminated)', true), 'info');
});
