import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideRollout } from './rollout-policy.js';
import type { DeployRecord, DesiredUnit, UnitStatus } from './records.js';
import { DEFAULT_CONFIG } from './service-spec.js';

const rec = (version: number, rollout = {}): DeployRecord => ({
  service: 'web', version, timestamp: 1000, image: 'x', description: '', dockerRepository: 'x',
  config: { ...DEFAULT_CONFIG, numInstances: 2, rollout: { drainSeconds: 5, healthyDeadlineSeconds: 60, ...rollout } }, trigger: { source: 'hook' },
});
const u = (version: number, instance: number, extra: Partial<DesiredUnit> = {}): DesiredUnit => ({
  unit: `web-${version}-${instance}`, service: 'web', version, instance, host: 'h1', createdAt: 0,
  spec: { image: 'x', ports: [], env: {}, volumes: [], stopGraceSeconds: 1 }, ...extra,
});
const healthy = (...names: string[]) =>
  new Map<string, UnitStatus>(names.map((n) => [n, { unit: n, host: 'h1', state: 'healthy', healthy: true, restarts: 0, image: 'x', updatedAt: 0 }]));

test('old instances keep serving until every new one is healthy', () => {
  const units = [u(1, 1), u(1, 2), u(2, 1), u(2, 2)];
  const acts = decideRollout({ latest: rec(2), status: undefined, units, statuses: healthy('web-1-1', 'web-1-2', 'web-2-1'), now: 2000 });
  assert.deepEqual(acts, []);
});

test('then the old instances drain and the deploy succeeds', () => {
  const units = [u(1, 1), u(1, 2), u(2, 1), u(2, 2)];
  const acts = decideRollout({ latest: rec(2), status: undefined, units, statuses: healthy('web-2-1', 'web-2-2'), now: 2000 });
  assert.deepEqual(acts.map((a) => a.type), ['drain', 'drain', 'succeed']);
  assert.deepEqual(acts.slice(0, 2).map((a) => (a as { unit: string }).unit), ['web-1-1', 'web-1-2']);
});

test('drained instances are deleted after the drain time, not before', () => {
  const units = [u(1, 1, { drainingSince: 2000 }), u(2, 1)];
  const st = { service: 'web', version: 2, state: 'succeeded' as const, startedAt: 0 };
  assert.deepEqual(decideRollout({ latest: rec(2), status: st, units, statuses: healthy('web-2-1'), now: 6000 }), []);
  assert.deepEqual(decideRollout({ latest: rec(2), status: st, units, statuses: healthy('web-2-1'), now: 7000 }), [{ type: 'delete', unit: 'web-1-1' }]);
});

test('a version not healthy by its deadline is stopped and the old one keeps serving', () => {
  const units = [u(1, 1), u(2, 1)];
  const statuses = healthy('web-1-1');
  statuses.set('web-2-1', { unit: 'web-2-1', host: 'h1', state: 'unhealthy', healthy: false, restarts: 2, image: 'x', updatedAt: 0, reason: 'GET /health answered 404' });
  assert.deepEqual(decideRollout({ latest: rec(2), status: undefined, units, statuses, now: 60_999 }), []);
  const acts = decideRollout({ latest: rec(2), status: undefined, units, statuses, now: 61_000 });
  assert.equal(acts[0].type, 'delete');
  assert.equal((acts[0] as { unit: string }).unit, 'web-2-1');
  assert.equal(acts[1].type, 'fail');
  assert.match((acts[1] as { reason: string }).reason, /not healthy within 60 s: web-2-1 unhealthy: GET \/health answered 404; version 1 keeps serving/);
});

test('maxSurge releases held instances as the started ones become healthy', () => {
  const units = [u(1, 1), u(1, 2), u(2, 1), u(2, 2, { hold: true }), u(2, 3, { hold: true })];
  assert.deepEqual(decideRollout({ latest: rec(2, { maxSurge: 1 }), status: undefined, units, statuses: healthy('web-1-1'), now: 2000 }), []);
  assert.deepEqual(decideRollout({ latest: rec(2, { maxSurge: 1 }), status: undefined, units, statuses: healthy('web-2-1'), now: 2000 }), [{ type: 'release', unit: 'web-2-2' }]);
});

test('a failed deploy does nothing more', () => {
  const st = { service: 'web', version: 2, state: 'failed' as const, startedAt: 0 };
  assert.deepEqual(decideRollout({ latest: rec(2), status: st, units: [u(1, 1)], statuses: healthy('web-1-1'), now: 1e9 }), []);
});

test('a deploy of zero instances finishes at once, draining what ran before', () => {
  const acts = decideRollout({ latest: rec(2), status: undefined, units: [u(1, 1)], statuses: healthy('web-1-1'), now: 2000 });
  assert.deepEqual(acts.map((a) => a.type), ['drain', 'succeed']);
  assert.deepEqual(decideRollout({ latest: rec(1), status: undefined, units: [], statuses: new Map(), now: 2000 }).map((a) => a.type), ['succeed']);
});

test('a drained instance goes before its drain time is over; one still busy waits for the clock', () => {
  const units = [u(1, 1, { drainingSince: 2000 }), u(1, 2, { drainingSince: 2000 }), u(2, 1), u(2, 2)];
  const st = { service: 'web', version: 2, state: 'succeeded' as const, startedAt: 0 };
  const input = { latest: rec(2), status: st, units, statuses: healthy('web-2-1', 'web-2-2'), drained: new Set(['web-1-1']) };
  assert.deepEqual(decideRollout({ ...input, now: 2500 }), [{ type: 'delete', unit: 'web-1-1' }]);
  assert.deepEqual(decideRollout({ ...input, now: 7000 }), [{ type: 'delete', unit: 'web-1-1' }, { type: 'delete', unit: 'web-1-2' }]);
});
