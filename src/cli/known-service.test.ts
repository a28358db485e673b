import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unitNameCandidates } from './known-service.js';
import { closest } from './closest.js';

test('a unit is known by its own name and by <service>-<instance>', () => {
  assert.deepEqual(unitNameCandidates(['web-3-1', 'web-3-2', 'contrived-service-1-1-1']), ['web-3-1', 'web-3-2', 'contrived-service-1-1-1', 'web-1', 'web-2', 'contrived-service-1-1']);
  assert.deepEqual(unitNameCandidates([]), []);
  // a name that is not a unit's (left by hand in the store) is offered as it is, with no short form
  assert.deepEqual(unitNameCandidates(['odd']), ['odd']);
});

test('typos of either form find the unit', () => {
  const names = unitNameCandidates(['streamed-1-1', 'api-2-1', 'api-2-2']);
  assert.equal(closest('streamd-1-1', names), 'streamed-1-1');
  assert.equal(closest('apii-2', names), 'api-2');
  assert.equal(closest('zzz', names), undefined);
});
