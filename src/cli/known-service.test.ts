import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goneUnitText, unitNameCandidates } from './known-service.js';
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

test('a unit of a failed or replaced version is said to be gone, and why; others are left to the typo check', () => {
  assert.equal(goneUnitText('crashy-1-1', { service: 'crashy', version: 1 }, { version: 1, state: 'failed', serving: 0 }), "crashy-1-1 is gone: the deploy of version 1 of crashy failed and its instances were removed; the last lines they printed are in the deploy's reason (`paz rollout crashy`)");
  assert.match(goneUnitText('web-2-1', { service: 'web', version: 2 }, { version: 4, state: 'succeeded', serving: 4 })!, /^web-2-1 is gone: version 2 of web is no longer deployed and its instances were stopped \(`paz units web` lists the ones that run\)$/);
  // the serving version's (web-3-9 after a failed v4): not gone, a wrong instance number
  assert.equal(goneUnitText('web-3-9', { service: 'web', version: 3 }, { version: 4, state: 'failed', serving: 3 }), undefined);
  // the latest version, deploying or serving: a wrong instance number; a version never deployed: a typo
  assert.equal(goneUnitText('web-4-9', { service: 'web', version: 4 }, { version: 4, state: 'succeeded', serving: 4 }), undefined);
  assert.equal(goneUnitText('web-7-1', { service: 'web', version: 7 }, { version: 4, state: 'succeeded', serving: 4 }), undefined);
});
