// The pure host-drain decisions of placement.ts (paz host drain / undrain).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drainProgress, placeUnits, planHostDrains, replacementOf } from './placement.js';
import type { DesiredUnit, HostRecord, UnitStatus } from './records.js';

const host = (id: string, memoryMb = 1024): HostRecord => ({
  id, hostname: id, ip: '127.0.0.1', labels: {}, cpus: 2, memoryBytes: memoryMb * 1048576, version: '0', agentUrl: '', driver: 'docker', startedAt: 0, heartbeatAt: 0,
});
const unit = (service: string, version: number, instance: number, extra: Partial<DesiredUnit> = {}, spec: Partial<DesiredUnit['spec']> = {}): DesiredUnit => ({
  unit: `${service}-${version}-${instance}`, service, version, instance, host: null, createdAt: 0,
  spec: { image: 'x', ports: [], env: { PAZ_INSTANCE: String(instance), APP: 'y' }, volumes: [], stopGraceSeconds: 1, ...spec }, ...extra,
});
const healthy = (u: DesiredUnit, since = 0): [string, UnitStatus] => [u.unit, { unit: u.unit, host: u.host!, state: 'healthy', healthy: true, restarts: 0, image: 'x', healthySince: since, updatedAt: since }];
const NOW = 100_000;
const drained = new Set(['h2']);

test('drained hosts get no new units; with every host drained, the reason says how to undo it', () => {
  const r = placeUnits([unit('web', 1, 1), unit('web', 1, 2)], [host('h1'), host('h2')], drained);
  assert.deepEqual(r.placed.map((p) => p.host), ['h1', 'h1']);
  const none = placeUnits([unit('web', 1, 1)], [host('h2')], drained);
  assert.match(none.unplaceable[0].reason, /every host is drained: paz host undrain ID/);
});

test('a unit on a drained host gets a replacement elsewhere: next instance number, its env, naming the unit it replaces', () => {
  const units = [unit('web', 1, 1, { host: 'h1' }), unit('web', 1, 2, { host: 'h2', placedAt: 5 })];
  const plan = planHostDrains({ units, hosts: [host('h1'), host('h2')], drained, statuses: new Map(), now: NOW });
  assert.deepEqual(plan.stuck, []);
  assert.equal(plan.actions.length, 1);
  const a = plan.actions[0];
  assert.ok(a.type === 'replace');
  assert.equal(a.unit, 'web-1-2');
  assert.equal(a.replacement.unit, 'web-1-3');
  assert.equal(a.replacement.host, null);
  assert.equal(a.replacement.placedAt, undefined);
  assert.equal(a.replacement.replaces, 'web-1-2');
  assert.deepEqual(a.replacement.spec.env, { PAZ_INSTANCE: '3', APP: 'y', PAZ_SERVICE: 'web', PAZ_VERSION: '1' });
  // the old unit is not touched until its replacement is healthy
  assert.deepEqual(drainProgress('h2', units, plan, new Map()), { state: 'draining', remaining: 1, stuck: [] });
});

test('the old unit is retired only once its replacement has been healthy for minHealthySeconds', () => {
  const old = unit('web', 1, 2, { host: 'h2' });
  const r = { ...replacementOf(old, 3, 0), host: 'h1' };
  const units = [old, r];
  const hosts = [host('h1'), host('h2')];
  assert.deepEqual(planHostDrains({ units, hosts, drained, statuses: new Map(), now: NOW }).actions, [], 'not started yet: wait');
  assert.deepEqual(planHostDrains({ units, hosts, drained, statuses: new Map([healthy(r, NOW - 1000)]), now: NOW }).actions, [], 'healthy for 1 s only');
  assert.deepEqual(planHostDrains({ units, hosts, drained, statuses: new Map([healthy(r, NOW - 5000)]), now: NOW }).actions, [{ type: 'retire', unit: 'web-1-2', by: 'web-1-3' }]);
  // once retiring, nothing more is done for it; the host counts as drained when the unit is gone
  const retiring = [{ ...old, drainingSince: NOW }, r];
  const plan = planHostDrains({ units: retiring, hosts, drained, statuses: new Map([healthy(r, 0)]), now: NOW });
  assert.deepEqual(plan.actions, []);
  assert.equal(drainProgress('h2', retiring, plan, new Map()).state, 'draining');
  assert.deepEqual(drainProgress('h2', [r], plan, new Map()), { state: 'drained', remaining: 0, stuck: [] });
});

test('nowhere else to go: the drain is stuck, says why, and stops nothing', () => {
  const only = planHostDrains({ units: [unit('web', 1, 1, { host: 'h2' })], hosts: [host('h2')], drained, statuses: new Map(), now: NOW });
  assert.deepEqual(only.actions, []);
  assert.match(only.stuck[0].reason, /^stuck: no other eligible host \(every host is drained/);
  assert.equal(drainProgress('h2', [unit('web', 1, 1, { host: 'h2' })], only, new Map()).state, 'stuck');
  // no room: the other host has too little memory; a fixed host port taken there
  const big = planHostDrains({ units: [unit('db', 1, 1, { host: 'h2' }, { memoryMb: 800 })], hosts: [host('h1', 512), host('h2')], drained, statuses: new Map(), now: NOW });
  assert.match(big.stuck[0].reason, /stuck: no other eligible host \(no host can take it: needs 800 MiB, h1 has 512 MiB unreserved\)/);
  const ports = [{ container: 80, host: 8080 }];
  const port = planHostDrains({ units: [unit('web', 1, 1, { host: 'h1' }, { ports }), unit('web', 1, 2, { host: 'h2' }, { ports })], hosts: [host('h1'), host('h2')], drained, statuses: new Map(), now: NOW });
  assert.match(port.stuck[0].reason, /host port 8080\/tcp is taken on h1/);
});

test('several units of one version on a drained host get distinct instance numbers, after every existing one', () => {
  const units = [unit('web', 1, 1, { host: 'h2' }), unit('web', 1, 2, { host: 'h2' }), unit('web', 1, 4, { host: 'h1', drainingSince: 1 })];
  const plan = planHostDrains({ units, hosts: [host('h1'), host('h2')], drained, statuses: new Map(), now: NOW });
  assert.deepEqual(plan.actions.map((a) => a.type === 'replace' && a.replacement.unit), ['web-1-5', 'web-1-6']);
});

test('undrained mid-move: a replacement not yet healthy is cancelled, a healthy one completes the move (units do not move back)', () => {
  const old = unit('web', 1, 2, { host: 'h2' });
  const r = { ...replacementOf(old, 3, 0), host: 'h1' };
  const hosts = [host('h1'), host('h2')];
  assert.deepEqual(planHostDrains({ units: [old, r], hosts, drained: new Set(), statuses: new Map(), now: NOW }).actions, [{ type: 'cancel', unit: 'web-1-3', of: 'web-1-2' }]);
  assert.deepEqual(planHostDrains({ units: [old, r], hosts, drained: new Set(), statuses: new Map([healthy(r, 0)]), now: NOW }).actions, [{ type: 'retire', unit: 'web-1-2', by: 'web-1-3' }]);
});

test('a replacement that crash-loops: the drain is stuck with its exit code, nothing is retired or cancelled; it finishes once the replacement comes up', () => {
  const old = unit('web', 1, 2, { host: 'h2' });
  const r = { ...replacementOf(old, 3, 0), host: 'h1' };
  const hosts = [host('h1'), host('h2')];
  const down = (restarts: number): [string, UnitStatus] => [r.unit, { unit: r.unit, host: 'h1', state: 'exited', healthy: false, restarts, exitCode: 3, image: 'x', updatedAt: NOW, lastOutput: ['cannot start'] }];
  const once = planHostDrains({ units: [old, r], hosts, drained, statuses: new Map([down(1)]), now: NOW });
  assert.deepEqual([once.actions, once.stuck], [[], []], 'one crash may be a blip: still moving');
  const looping = planHostDrains({ units: [old, r], hosts, drained, statuses: new Map([down(3)]), now: NOW });
  assert.deepEqual(looping.actions, [], 'the old unit keeps running, the replacement stays');
  assert.equal(looping.stuck.length, 1);
  assert.equal(looping.stuck[0].unit, 'web-1-2');
  assert.match(looping.stuck[0].reason, /^stuck: its replacement web-1-3 crash-looping: exited \(exit code 3\), 3 restarts; last output: cannot start$/);
  assert.deepEqual(drainProgress('h2', [old, r], looping, new Map([down(3)])), { state: 'stuck', remaining: 1, stuck: looping.stuck });
  // an image that is not there never starts: stuck at once
  const missing: [string, UnitStatus] = [r.unit, { unit: r.unit, host: 'h1', state: 'failed', healthy: false, restarts: 0, image: 'x', reason: 'IMAGE_NOT_FOUND: no such image', updatedAt: NOW }];
  assert.match(planHostDrains({ units: [old, r], hosts, drained, statuses: new Map([missing]), now: NOW }).stuck[0].reason, /^stuck: its replacement web-1-3 failed: IMAGE_NOT_FOUND/);
  // fixed: its next restart comes up, and once healthy long enough the move completes
  const up: [string, UnitStatus] = [r.unit, { ...healthy(r, NOW - 5000)[1], restarts: 4 }];
  assert.deepEqual(planHostDrains({ units: [old, r], hosts, drained, statuses: new Map([up]), now: NOW }).actions, [{ type: 'retire', unit: 'web-1-2', by: 'web-1-3' }]);
});

test('drained means nothing runs there: a unit gone from the desired state whose agent still reports it is still being stopped', () => {
  const old = unit('web', 1, 2, { host: 'h2' });
  const r = { ...replacementOf(old, 3, 0), host: 'h1' };
  const plan = planHostDrains({ units: [r], hosts: [host('h1'), host('h2')], drained, statuses: new Map(), now: NOW });
  const stopping: [string, UnitStatus] = [old.unit, { unit: old.unit, host: 'h2', state: 'stopping', healthy: false, restarts: 0, image: 'x', updatedAt: NOW }];
  assert.deepEqual(drainProgress('h2', [r], plan, new Map([stopping, healthy(r)])), { state: 'draining', remaining: 1, stuck: [] });
  assert.deepEqual(drainProgress('h2', [r], plan, new Map([healthy(r)])), { state: 'drained', remaining: 0, stuck: [] }, 'its status goes once it is stopped and removed');
});

test('a replacement that hangs (never healthy, never exits) is stuck once past its healthy deadline, saying why; the service\'s own deadline and minimum count', () => {
  const old = unit('web', 1, 2, { host: 'h2' }, {});
  const r = { ...replacementOf({ ...old, healthyDeadlineSeconds: 20, minHealthySeconds: 1 }, 3, NOW - 20_000), host: 'h1' };
  assert.equal(r.healthyDeadlineSeconds, 20, 'a replacement keeps the deadline its unit was deployed with');
  const hosts = [host('h1'), host('h2')];
  const hanging: [string, UnitStatus] = [r.unit, { unit: r.unit, host: 'h1', state: 'running', healthy: false, restarts: 0, image: 'x', updatedAt: NOW, startedAt: NOW - 19_000 }];
  const early = planHostDrains({ units: [old, r], hosts, drained, statuses: new Map([hanging]), now: NOW - 1 });
  assert.deepEqual([early.actions, early.stuck], [[], []], 'within its deadline: still moving');
  const late = planHostDrains({ units: [old, r], hosts, drained, statuses: new Map([hanging]), now: NOW });
  assert.deepEqual(late.actions, [], 'the old unit keeps running, the replacement stays');
  assert.match(late.stuck[0].reason, /^stuck: its replacement web-1-3 was not healthy within 20 s: running/);
  // never placed at all: stuck too, with why
  const unplaced = planHostDrains({ units: [old, { ...r, host: null, reason: 'waiting for placement: no room' }], hosts, drained, statuses: new Map(), now: NOW });
  assert.match(unplaced.stuck[0].reason, /^stuck: its replacement web-1-3 was not healthy within 20 s: waiting for placement: no room/);
  // healthy for its own minimum (1 s, not the default 3 s): the move completes, deadline or not
  const up: [string, UnitStatus] = [r.unit, { ...hanging[1], state: 'healthy', healthy: true, healthySince: NOW - 1000 }];
  assert.deepEqual(planHostDrains({ units: [old, r], hosts, drained, statuses: new Map([up]), now: NOW }).actions, [{ type: 'retire', unit: 'web-1-2', by: 'web-1-3' }]);
  // a unit deployed without a deadline has the default 300 s
  const plain = { ...replacementOf(old, 3, NOW - 299_000), host: 'h1' };
  assert.deepEqual(planHostDrains({ units: [old, plain], hosts, drained, statuses: new Map([hanging]), now: NOW }).stuck, []);
  assert.match(planHostDrains({ units: [old, plain], hosts, drained, statuses: new Map([hanging]), now: NOW + 1000 }).stuck[0].reason, /not healthy within 300 s/);
});
