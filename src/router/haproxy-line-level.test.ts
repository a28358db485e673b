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

test('other HAProxy warnings stay warnings; alerts are errors', () => {
  assert.equal(haproxyLineLevel('[WARNING]  (1) : Former worker (2) exited with code 139 (Segmentation fault)', false), 'warn');
  assert.equal(haproxyLineLevel("[WARNING]  (1) : config : 'option forwardfor' ignored", false), 'warn');
  assert.equal(haproxyLineLevel('[ALERT]    (1) : config : parsing error', false), 'error');
});

test('while the router stops HAProxy, its lines are info', () => {
  assert.equal(haproxyLineLevel('[ALERT]    (1) : Current worker (2) exited with code 143 (Terminated)', true), 'info');
});
