import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostAccessFieldReason } from './host-access-fields.js';

test('fields that would hand a service the host are named with why', () => {
  assert.match(hostAccessFieldReason('privileged')!, /never runs privileged containers/);
  assert.match(hostAccessFieldReason('networkMode')!, /host's network namespace/);
  assert.match(hostAccessFieldReason('devices')!, /no host devices/);
  assert.equal(hostAccessFieldReason('numInstance'), undefined, 'an ordinary misspelling has no such reason');
  assert.equal(hostAccessFieldReason('__proto__'), undefined);
  assert.equal(hostAccessFieldReason('toString'), undefined);
});
