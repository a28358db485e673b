// Restarting one unit (paz restart NAME --unit U): the pure decisions of unit-restart.ts and planHostDrains' restarts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planHostDrains, replacementOf } from './placement.js';
import { restartProgress, restartRefusal } from './unit-restart.js';
import type { DesiredUnit, HostRecord, UnitStatus } from './records.js';

const host = (id: string): HostRecord => ({ id, hostname: id, ip: '127.0.0.1', labels: {}, cpus: 2, memoryBytes: 1024 * 1048576, version: '0', agentUrl: '', driver: 'docker', startedAt: 0, heartbeatAt: 0 });
const unit = (service: string, version: number, instance: number, extra: Partial<DesiredUnit> = {}): DesiredUnit => ({
  unit: `${service}-${version}-${instance}`, service, version, instance, host: null, createdAt: 0,
  spec: { image: 'x', ports: [], env: { PAZ_INSTANCE: String(instance) }, volumes: [], stopGraceSeconds: 1 }, ...extra,
});
const status = (u: DesiredUnit, state: UnitStatus['state'], extra: Partial<UnitStatus> = {}): [string, UnitStatus] => [u.unit, { unit: u.unit, host: u.host!, state, healthy: state === 'healthy', restarts: 0, image: 'x', updatedAt: 0, ...extra }];
const NOW = 100_000;
const none = new Set<string>();

test('a unit asked to restart gets a replacement, on any host (its own too: a fresh instance, not a move)', () => {
  const units = [unit('web', 1, 1, { host: 'h1' }), unit('web', 1, 2, { host: 'h1' })];
  const plan = planHostDrains({ units, hosts: [host('h1')], drained: none, statuses: new Map(), now: NOW, restarts: new Set(['web-1-2']) });
  assert.deepEqual(plan.stuck, [], 'one host is enough: a drain would be stuck there');
  assert.equal(plan.actions.length, 1);
  const a = plan.actions[0];
  assert.ok(a.type === 'replace');
  assert.equal(a.cause, 'restart');
  assert.equal(a.unit, 'web-1-2');
  assert.equal(a.replacement.unit, 'web-1-3');
  assert.equal(a.replacement.replaces, 'web-1-2');
  assert.match(a.replacement.reason!, /replaces web-1-2 \(restart asked\)/);
  // nothing is asked of the others, and nothing without a request
  assert.deepEqual(planHostDrains({ units, hosts: [host('h1')], drained: none, statuses: new Map(), now: NOW }).actions, []);
});

test('the old unit is retired once the replacement is healthy; a request withdrawn before that cancels the replacement', () => {
  const old = unit('web', 1, 2, { host: 'h1' });
  const r = { ...replacementOf(old, 3, 0, 'restart asked'), host: 'h1' };
  const hosts = [host('h1')];
  const asked = new Set(['web-1-2']);
  assert.deepEqual(planHostDrains({ units: [old, r], hosts, drained: none, statuses: new Map([status(r, 'starting')]), now: NOW, restarts: asked }).actions, [], 'starting: wait (not cancelled: the restart is still asked)');
  assert.deepEqual(planHostDrains({ units: [old, r], hosts, drained: none, statuses: new Map([status(r, 'healthy', { healthySince: NOW - 5000 })]), now: NOW, restarts: asked }).actions, [{ type: 'retire', unit: 'web-1-2', by: 'web-1-3' }]);
  assert.deepEqual(planHostDrains({ units: [old, r], hosts, drained: none, statuses: new Map([status(r, 'starting')]), now: NOW }).actions, [{ type: 'cancel', unit: 'web-1-3', of: 'web-1-2' }], 'withdrawn');
  // retired (or gone): the request is done
  assert.deepEqual(planHostDrains({ units: [{ ...old, drainingSince: NOW }, r], hosts, drained: none, statuses: new Map(), now: NOW, restarts: asked }).actions, [{ type: 'restarted', unit: 'web-1-2' }]);
  assert.deepEqual(planHostDrains({ units: [r], hosts, drained: none, statuses: new Map(), now: NOW, restarts: asked }).actions, [{ type: 'restarted', unit: 'web-1-2' }]);
});

test('a replacement that cannot start leaves the old unit serving, and the restart says it is stuck and why', () => {
  const old = unit('web', 1, 2, { host: 'h1' });
  const r = { ...replacementOf(old, 3, 0, 'restart asked'), host: 'h1' };
  const units = [old, r];
  const plan = planHostDrains({ units, hosts: [host('h1')], drained: none, statuses: new Map([status(r, 'exited', { restarts: 5, exitCode: 1 })]), now: NOW, restarts: new Set(['web-1-2']) });
  assert.deepEqual(plan.actions, [], 'the old unit is not touched');
  const p = restartProgress('web-1-2', units, plan, new Map());
  assert.equal(p.state, 'stuck');
  assert.equal(p.replacement, 'web-1-3');
  assert.match(p.reason!, /stuck: its replacement web-1-3/);
  // no host can take a replacement (a fixed host port, one host): stuck before there is one
  const fixed = unit('db', 1, 1, { host: 'h1', spec: { image: 'x', ports: [{ container: 5432, host: 15432, protocol: 'tcp' }], env: {}, volumes: [], stopGraceSeconds: 1 } });
  const noRoom = planHostDrains({ units: [fixed], hosts: [host('h1')], drained: none, statuses: new Map(), now: NOW, restarts: new Set(['db-1-1']) });
  assert.deepEqual(noRoom.actions, []);
  assert.match(restartProgress('db-1-1', [fixed], noRoom, new Map()).reason!, /stuck: no host can take its replacement \(.*15432/);
});

test('how a restart goes: replacing, retiring once the replacement took over, replaced once the old unit is gone', () => {
  const old = unit('web', 1, 2, { host: 'h1' });
  const r = { ...replacementOf(old, 3, 0, 'restart asked'), host: 'h1' };
  const empty = { actions: [], stuck: [] };
  assert.deepEqual(restartProgress('web-1-2', [old], empty, new Map()), { state: 'replacing' });
  assert.deepEqual(restartProgress('web-1-2', [old, r], empty, new Map()), { state: 'replacing', replacement: 'web-1-3' });
  assert.deepEqual(restartProgress('web-1-2', [{ ...old, drainingSince: 1 }, r], empty, new Map()), { state: 'retiring', replacement: 'web-1-3' });
  // gone from the desired state but its agent still reports it: still being stopped; replaced once its status goes
  assert.deepEqual(restartProgress('web-1-2', [r], empty, new Map([status(old, 'stopping')])), { state: 'retiring', replacement: 'web-1-3' });
  assert.deepEqual(restartProgress('web-1-2', [r], empty, new Map([status(r, 'healthy')])), { state: 'replaced', replacement: 'web-1-3' });
});

test('a restart is refused while the service deploys, and for a unit not running anywhere or already on its way out', () => {
  const u = unit('web', 2, 1, { host: 'h1' });
  assert.equal(restartRefusal(u, [u], 'succeeded', 2), undefined);
  assert.equal(restartRefusal(u, [u], 'failed', 3), undefined, 'the serving version after a failed deploy: it runs');
  assert.match(restartRefusal(u, [u], 'deploying', 3)!, /deploying version 3 right now: restart web-2-1 once that rollout ends/);
  assert.match(restartRefusal({ ...u, drainingSince: 5 }, [u], 'succeeded', 2)!, /being retired already/);
  assert.match(restartRefusal({ ...u, host: null, reason: 'no host has 4 GiB free' }, [u], 'succeeded', 2)!, /not placed on a host yet \(no host has 4 GiB free\)/);
  const r = { ...replacementOf(u, 2, 0), host: 'h2' };
  assert.match(restartRefusal(u, [u, r], 'succeeded', 2)!, /being replaced already, by web-2-2/);
});
