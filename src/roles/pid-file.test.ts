import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPidRecord, parsePidRecord } from './pid-file.js';

test('a pid record round-trips and rejects garbage', () => {
  assert.deepEqual(parsePidRecord(formatPidRecord({ pid: 42, startTicks: 1234, role: 'up' })), { pid: 42, startTicks: 1234, role: 'up' });
  assert.deepEqual(parsePidRecord(formatPidRecord({ pid: 7, startTicks: null, role: 'agent' })), { pid: 7, startTicks: null, role: 'agent' });
  assert.equal(parsePidRecord(''), undefined);
  assert.equal(parsePidRecord('abc 1 up'), undefined);
  assert.equal(parsePidRecord('12'), undefined);
});
