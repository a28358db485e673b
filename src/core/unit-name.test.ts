import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUnitName, unitName } from './unit-name.js';

test('unit names round-trip, also for service names ending in digits', () => {
  assert.equal(unitName('demo-api', 3, 1), 'demo-api-3-1');
  assert.deepEqual(parseUnitName('demo-api-3-1'), { service: 'demo-api', version: 3, instance: 1 });
  assert.deepEqual(parseUnitName('contrived-service-1-1-1.service'), { service: 'contrived-service-1', version: 1, instance: 1 });
});

test('names that are not units are rejected', () => {
  assert.equal(parseUnitName('paz-orchestrator'), undefined);
  assert.equal(parseUnitName('demo-api-0-1'), undefined);
  assert.equal(parseUnitName('demo'), undefined);
});
