import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstFreeInstance, listUnitNames, parseUnitName, resolveUnitName, unitName } from './unit-name.js';

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

test('resolveUnitName: exact names first, else <service>-<instance> of the newest version', () => {
  const u = (service: string, version: number, instance: number) => ({ unit: unitName(service, version, instance), service, version, instance });
  const units = [u('contrived-service', 1, 1), u('contrived-service', 2, 1), u('contrived-service', 2, 2), u('contrived-service-1', 1, 1)];
  assert.equal(resolveUnitName('contrived-service-1-1', units)?.unit, 'contrived-service-1-1', 'an exact name wins');
  assert.equal(resolveUnitName('contrived-service-2.service', units)?.unit, 'contrived-service-2-2');
  assert.equal(resolveUnitName('contrived-service-1-1-1', units)?.unit, 'contrived-service-1-1-1');
  assert.equal(resolveUnitName('contrived-service-3', units), undefined);
  assert.equal(resolveUnitName('nothing', units), undefined);
  assert.equal(resolveUnitName('contrived-service-1', [u('contrived-service', 1, 1), u('contrived-service', 2, 1)])?.unit, 'contrived-service-2-1');
});

test('unit names for a sentence, the rest counted past the first few', () => {
  assert.equal(listUnitNames([]), '');
  assert.equal(listUnitNames(['a-1-1']), 'a-1-1');
  assert.equal(listUnitNames(['a-1-1', 'a-1-2']), 'a-1-1 and a-1-2');
  assert.equal(listUnitNames(['a-1-1', 'a-1-2', 'a-1-3']), 'a-1-1, a-1-2 and a-1-3');
  assert.equal(listUnitNames(['a-1-1', 'a-1-2', 'a-1-3', 'a-1-4']), 'a-1-1, a-1-2, a-1-3 and 1 more');
  assert.equal(listUnitNames(['a-1-1', 'a-1-2', 'a-1-3', 'a-1-4'], 4), 'a-1-1, a-1-2, a-1-3 and a-1-4');
});

test('firstFreeInstance: above the highest number ever handed out and above every entry left', () => {
  assert.equal(firstFreeInstance(0, []), 1, 'a version with nothing yet starts at 1');
  assert.equal(firstFreeInstance(0, [1, 2]), 3, 'no mark (a version from before marks): after the entries');
  assert.equal(firstFreeInstance(3, [1, 2]), 4, 'instance 3 was scaled away (its entry is gone): 3 is not handed out again');
  assert.equal(firstFreeInstance(3, [1, 2, 7]), 8, 'an entry above the mark (written before it) counts too');
  assert.equal(firstFreeInstance(5, []), 6, 'every entry gone: still after the mark');
});
