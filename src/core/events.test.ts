import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toPazEvent, sseFrame } from './events.js';

test("service changes become Paz's socket events", () => {
  assert.deepEqual(toPazEvent({ type: 'put', key: '/paz/directory/services/web', value: '{"name":"web"}', revision: 3 }), { event: 'service.create', data: { name: 'web' }, revision: 3 });
  assert.equal(toPazEvent({ type: 'put', key: '/paz/directory/services/web', value: '{"name":"web","config":{"a":1}}', prevValue: '{}', revision: 4 })?.event, 'service.modifyConfig');
  assert.deepEqual(toPazEvent({ type: 'delete', key: '/paz/directory/services/web', value: '', revision: 5 }), { event: 'service.del', data: 'web', revision: 5 });
});

test('units, hosts, endpoints and the journal', () => {
  assert.equal(toPazEvent({ type: 'put', key: '/paz/units/desired/web/web-1-1', value: '{}', revision: 1 })?.event, 'unit.add');
  assert.deepEqual(toPazEvent({ type: 'delete', key: '/paz/units/desired/web/web-1-1', value: '', revision: 2 })?.data, 'web-1-1');
  assert.equal(toPazEvent({ type: 'put', key: '/paz/hosts/h1', value: '{}', prevValue: '{}', revision: 3 }), undefined, 'heartbeats are not news');
  assert.equal(toPazEvent({ type: 'put', key: '/paz/hosts/h1', value: '{}', revision: 3 })?.event, 'host.add');
  const sick = JSON.stringify({ heartbeatAt: 2, problems: [{ component: 'driver', message: 'does not answer', since: 1 }] });
  assert.equal(toPazEvent({ type: 'put', key: '/paz/hosts/h1', value: sick, prevValue: JSON.stringify({ heartbeatAt: 1 }), revision: 4 })?.event, 'host.change', 'its health changed');
  assert.equal(toPazEvent({ type: 'put', key: '/paz/hosts/h1', value: sick, prevValue: sick.replace('"heartbeatAt":2', '"heartbeatAt":1'), revision: 5 }), undefined, 'the same problems: a heartbeat');
  assert.equal(toPazEvent({ type: 'put', key: '/paz/hosts/h1', value: '{"problems":[]}', prevValue: sick, revision: 6 })?.event, 'host.change', 'healthy again');
  assert.deepEqual(toPazEvent({ type: 'delete', key: '/paz/services/web/1/2', value: '', prevValue: '127.0.0.1:3000', revision: 9 })?.data, { service: 'web', version: 1, instance: 2, address: '127.0.0.1:3000' });
  assert.equal(toPazEvent({ type: 'put', key: '/paz/services/paz-scheduler', value: 'x', revision: 1 }), undefined);
  assert.equal(toPazEvent({ type: 'put', key: '/paz/scheduler/journal/1-web-1-deploy', value: '{"event":"deploy"}', revision: 1 })?.event, 'journal');
});

test('SSE frames carry the revision as id', () => {
  assert.equal(sseFrame({ event: 'unit.remove', data: 'web-1-1', revision: 7 }), 'id: 7\nevent: unit.remove\ndata: "web-1-1"\n\n');
});
