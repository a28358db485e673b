import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostRecordChanged } from './heartbeat.js';

const host = (patch: Record<string, unknown> = {}) => JSON.stringify({ id: 'h1', hostname: 'a', ip: '10.0.0.1', memoryBytes: 1024, reservedPorts: [9010], heartbeatAt: 1000, ...patch });

test('a heartbeat alone is no change; any other field, a new host or a gone one is', () => {
  assert.equal(hostRecordChanged(host(), host({ heartbeatAt: 6000 })), false);
  assert.equal(hostRecordChanged(host(), host({ heartbeatAt: 6000, memoryBytes: 2048 })), true);
  assert.equal(hostRecordChanged(host(), host({ reservedPorts: [9010, 80] })), true);
  assert.equal(hostRecordChanged(host(), host({ problems: [{ component: 'driver', message: 'down', since: 1 }] })), true);
  assert.equal(hostRecordChanged(undefined, host()), true, 'a new host');
  assert.equal(hostRecordChanged(host(), undefined), true, 'a host gone');
  assert.equal(hostRecordChanged('not json', host()), true, 'what cannot be read counts as a change');
});
