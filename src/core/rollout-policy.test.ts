import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideRollout, describeStatus, rollbackVersion, runsTheSame, scaleVersion, type RolloutAction, type RolloutInput, type RolloutStatus } from './rollout-policy.js';
import type { DeployRecord, DesiredUnit, UnitStatus } from './records.js';
import { unitsWhy } from './unit-name.js';
import { DEFAULT_CONFIG } from './service-spec.js';
import { ROLLOUT_DEFAULTS } from './rollout-defaults.js';

const rec = (version: number, rollout = {}): DeployRecord => ({
  service: 'web', version, timestamp: 1000, image: 'x', description: '', dockerRepository: 'x',
  config: { ...DEFAULT_CONFIG, numInstances: 2, rollout: { drainSeconds: 5, healthyDeadlineSeconds: 60, minHealthySeconds: 0, ...rollout } }, trigger: { source: 'hook' },
});
const u = (version: number, instance: number, extra: Partial<DesiredUnit> = {}): DesiredUnit => ({
  unit: `web-${version}-${instance}`, service: 'web', version, instance, host: 'h1', createdAt: 0,
  spec: { image: 'x', ports: [], env: {}, volumes: [], stopGraceSeconds: 1 }, ...extra,
});
const st = (unit: string, extra: Partial<UnitStatus> = {}): UnitStatus => ({ unit, host: 'h1', state: 'healthy', healthy: true, restarts: 0, image: 'x', updatedAt: 0, healthySince: 0, ...extra });
const healthy = (...names: string[]) => new Map<string, UnitStatus>(names.map((n) => [n, st(n)]));
const deploying = (version: number, extra: Partial<RolloutStatus> = {}): RolloutStatus => ({ service: 'web', version, state: 'deploying', startedAt: 0, ...extra });
const decide = (input: Partial<RolloutInput> & Pick<RolloutInput, 'latest' | 'units' | 'statuses' | 'now'>) => decideRollout({ status: undefined, serving: 1, ...input });
const types = (acts: RolloutAction[]) => acts.map((a) => ('unit' in a ? `${a.type} ${a.unit}` : a.type));

test('old instances keep serving until every new one is healthy', () => {
  const units = [u(1, 1), u(1, 2), u(2, 1), u(2, 2)];
  assert.deepEqual(decide({ latest: rec(2), units, statuses: healthy('web-1-1', 'web-1-2', 'web-2-1'), now: 2000 }), []);
});

test('then the old instances drain and the deploy succeeds', () => {
  const units = [u(1, 1), u(1, 2), u(2, 1), u(2, 2)];
  const acts = decide({ latest: rec(2), units, statuses: healthy('web-2-1', 'web-2-2'), now: 2000 });
  assert.deepEqual(types(acts), ['drain web-1-1', 'drain web-1-2', 'succeed']);
});

test('drained instances are deleted after the drain time, not before', () => {
  const units = [u(1, 1, { drainingSince: 2000 }), u(2, 1)];
  const done = { service: 'web', version: 2, state: 'succeeded' as const, startedAt: 0 };
  assert.deepEqual(decide({ latest: rec(2), status: done, units, statuses: healthy('web-2-1'), now: 6000 }), []);
  assert.deepEqual(decide({ latest: rec(2), status: done, units, statuses: healthy('web-2-1'), now: 7000 }), [{ type: 'delete', unit: 'web-1-1' }]);
});

test('a succeeded version starts the instances a scale added as held after its rollout decided', () => {
  const done = { service: 'web', version: 2, state: 'succeeded' as const, startedAt: 0 };
  const units = [u(2, 1), u(2, 2, { hold: true, reason: 'held: version 2 is being deployed; its rollout starts it' }), u(2, 3, { hold: true })];
  assert.deepEqual(types(decide({ latest: rec(2), status: done, serving: 2, units, statuses: healthy('web-2-1'), now: 1000 })), ['release web-2-2', 'release web-2-3']);
});

test('minHealthySeconds: a new instance counts only after it stayed healthy that long', () => {
  const units = [u(1, 1), u(2, 1)];
  const statuses = healthy('web-1-1');
  statuses.set('web-2-1', st('web-2-1', { healthySince: 10_000 }));
  const latest = rec(2, { minHealthySeconds: 5 });
  assert.deepEqual(decide({ latest, units, statuses, now: 14_999 }), []);
  assert.deepEqual(types(decide({ latest, units, statuses, now: 15_000 })), ['drain web-1-1', 'succeed']);
  // an agent that does not report healthySince: the time of its healthy report stands in
  statuses.set('web-2-1', st('web-2-1', { healthySince: undefined, updatedAt: 20_000 }));
  assert.deepEqual(decide({ latest, units, statuses, now: 24_000 }), []);
  // the default is the documented one
  assert.deepEqual(decide({ latest: rec(2, { minHealthySeconds: undefined }), units, statuses: healthy('web-2-1'), now: ROLLOUT_DEFAULTS.minHealthySeconds * 1000 - 1 }), []);
});

test('an app that passes one probe and dies fails the deploy (crash loop) with its own error; the old version keeps serving', () => {
  const units = [u(1, 1), u(2, 1)];
  const statuses = healthy('web-1-1');
  statuses.set('web-2-1', st('web-2-1', { state: 'starting', healthy: false, healthySince: undefined, restarts: 2, reason: 'restarting: exited with code 3' }));
  assert.deepEqual(decide({ latest: rec(2), units, statuses, now: 5000 }), []);
  // the third restart is under way: caught when it is down again (with its exit code), or at the fourth
  statuses.set('web-2-1', st('web-2-1', { state: 'starting', healthy: false, healthySince: undefined, restarts: 3, reason: 'restarting: exited with code 3' }));
  assert.deepEqual(decide({ latest: rec(2), units, statuses, now: 6000 }), []);
  statuses.set('web-2-1', st('web-2-1', { state: 'starting', healthy: false, healthySince: undefined, restarts: 4, reason: 'restarting: exited with code 3' }));
  assert.equal(decide({ latest: rec(2), units, statuses, now: 6000 }).at(-1)?.type, 'fail');
  statuses.set('web-2-1', st('web-2-1', { state: 'exited', healthy: false, healthySince: undefined, restarts: 3, exitCode: 3, reason: 'exited with code 3', lastOutput: ['starting', 'cannot reach the database'] }));
  const acts = decide({ latest: rec(2), units, statuses, now: 9000 });
  assert.deepEqual(types(acts), ['delete web-2-1', 'fail']);
  const reason = (acts[1] as { reason: string }).reason;
  assert.match(reason, /^version 2 failed: web-2-1 crash-looping: exited: exited with code 3, 3 restarts; last output: starting \| cannot reach the database; version 1 keeps serving$/);
});

test('a permanent pull error fails the deploy at once; a transient one waits', () => {
  const units = [u(1, 1), u(2, 1)];
  const statuses = healthy('web-1-1');
  statuses.set('web-2-1', st('web-2-1', { state: 'failed', healthy: false, healthySince: undefined, reason: 'REGISTRY_UNREACHABLE: registry 127.0.0.1:5000 does not answer' }));
  assert.deepEqual(decide({ latest: rec(2), units, statuses, now: 2000 }), []);
  statuses.set('web-2-1', st('web-2-1', { state: 'failed', healthy: false, healthySince: undefined, reason: 'IMAGE_NOT_FOUND: image x:9 not found in registry r' }));
  const acts = decide({ latest: rec(2), units, statuses, now: 2000 });
  assert.deepEqual(types(acts), ['delete web-2-1', 'fail']);
  assert.match((acts[1] as { reason: string }).reason, /web-2-1 failed: IMAGE_NOT_FOUND: image x:9 not found/);
});

test('units failing for the same reason are named together, the reason once', () => {
  const units = [u(1, 1), ...[1, 2, 3, 4, 5].map((i) => u(2, i))];
  const statuses = healthy('web-1-1');
  for (const i of [1, 2, 3, 4, 5]) statuses.set(`web-2-${i}`, st(`web-2-${i}`, { state: 'failed', healthy: false, healthySince: undefined, reason: 'IMAGE_NOT_FOUND: image x:9 not found in registry r' }));
  const acts = decide({ latest: rec(2), units, statuses, now: 2000 });
  assert.equal((acts.at(-1) as { reason: string }).reason, 'version 2 failed: web-2-1, web-2-2, web-2-3 and 2 more failed: IMAGE_NOT_FOUND: image x:9 not found in registry r; version 1 keeps serving');
  assert.equal(unitsWhy([{ unit: 'a-1-1', why: 'x' }, { unit: 'a-1-2', why: 'y' }, { unit: 'a-1-3', why: 'x' }]), 'a-1-1 and a-1-3 x; a-1-2 y');
  assert.equal(unitsWhy([{ unit: 'a-1-1', why: 'x' }, { unit: 'a-1-2', why: 'x' }, { unit: 'a-1-3', why: 'x' }]), 'a-1-1, a-1-2 and a-1-3 x');
  assert.equal(unitsWhy([{ unit: 'a-1-1', why: 'x' }]), 'a-1-1 x');
});

test('a registry that refuses the pull fails the deploy at once with what to do', () => {
  const units = [u(1, 1), u(2, 1)];
  const statuses = healthy('web-1-1');
  statuses.set('web-2-1', st('web-2-1', { state: 'failed', healthy: false, healthySince: undefined, reason: 'REGISTRY_AUTH: registry 127.0.0.1:5001 refused the pull (401): set credentials with paz registry login 127.0.0.1:5001' }));
  const acts = decide({ latest: rec(2), units, statuses, now: 2000 });
  assert.deepEqual(types(acts), ['delete web-2-1', 'fail']);
  assert.match((acts[1] as { reason: string }).reason, /web-2-1 failed: REGISTRY_AUTH: registry 127\.0\.0\.1:5001 refused the pull \(401\): set credentials with paz registry login 127\.0\.0\.1:5001/);
});

test('a version not healthy by its deadline is stopped and the serving one keeps serving', () => {
  const units = [u(1, 1), u(2, 1)];
  const statuses = healthy('web-1-1');
  statuses.set('web-2-1', st('web-2-1', { state: 'unhealthy', healthy: false, restarts: 2, reason: 'GET /health answered 404' }));
  assert.deepEqual(decide({ latest: rec(2), units, statuses, now: 59_999 }), []);
  const acts = decide({ latest: rec(2), units, statuses, now: 60_000 });
  assert.deepEqual(types(acts), ['delete web-2-1', 'fail']);
  assert.match((acts[1] as { reason: string }).reason, /not healthy within 60 s: web-2-1 unhealthy: GET \/health answered 404, 2 restarts; version 1 keeps serving/);
});

test('the deadline counts per unit from when it was allowed to start (releasedAt), not from the deploy', () => {
  const units = [u(1, 1), u(2, 1), u(2, 2, { releasedAt: 50_000 }), u(2, 3, { hold: true })];
  const statuses = healthy('web-1-1', 'web-2-1');
  statuses.set('web-2-2', st('web-2-2', { state: 'running', healthy: false, healthySince: undefined }));
  const latest = rec(2, { maxSurge: 1 });
  assert.deepEqual(decide({ latest, units, statuses, now: 109_999 }), [], 'created at 0 but released at 50 s: not overdue, and a held unit has no deadline');
  const acts = decide({ latest, units, statuses, now: 110_000 });
  assert.deepEqual(types(acts), ['delete web-2-1', 'delete web-2-2', 'delete web-2-3', 'fail'], 'held units of the failed version are removed too');
  assert.match((acts[3] as { reason: string }).reason, /web-2-2 running/);
});

test('maxSurge releases held instances as the started ones become healthy', () => {
  const units = [u(1, 1), u(1, 2), u(2, 1), u(2, 2, { hold: true }), u(2, 3, { hold: true })];
  assert.deepEqual(decide({ latest: rec(2, { maxSurge: 1 }), units, statuses: healthy('web-1-1'), now: 2000 }), []);
  assert.deepEqual(decide({ latest: rec(2, { maxSurge: 1 }), units, statuses: healthy('web-2-1'), now: 2000 }), [{ type: 'release', unit: 'web-2-2' }]);
});

test('a failed version stays failed: its instances are removed whenever they appear, others are drained', () => {
  const failed = { service: 'web', version: 3, state: 'failed' as const, startedAt: 0 };
  // a scale that raced the failure, or a unit placed late, and a leftover of version 1
  const units = [u(1, 1), u(2, 1), u(3, 1), u(3, 2, { hold: true })];
  const acts = decide({ latest: rec(3), status: failed, serving: 2, units, statuses: healthy('web-1-1', 'web-2-1'), now: 1e9 });
  assert.deepEqual(types(acts), ['delete web-3-1', 'delete web-3-2', 'drain web-1-1']);
  assert.deepEqual(decide({ latest: rec(3), status: failed, serving: 2, units: [u(2, 1)], statuses: healthy('web-2-1'), now: 1e9 }), []);
});

test('a failed first deploy leaves nothing running: there is nothing to fall back to', () => {
  const statuses = new Map([['web-1-1', st('web-1-1', { state: 'failed', healthy: false, reason: 'IMAGE_NOT_FOUND: no such image' })]]);
  const acts = decide({ latest: rec(1), serving: 0, units: [u(1, 1)], statuses, now: 2000 });
  assert.deepEqual(types(acts), ['delete web-1-1', 'fail']);
  assert.match((acts[1] as { reason: string }).reason, /no earlier version to fall back to: nothing runs until the next deploy/);
});

test('recreate: the old instances drain first; the new ones start once the old are deleted and their status is gone', () => {
  const latest = rec(2, { strategy: 'recreate' });
  const status = deploying(2, { strategy: 'recreate' });
  const fresh = [u(2, 1, { hold: true, host: null }), u(2, 2, { hold: true, host: null })];
  // 1: old live -> drained; nothing released
  assert.deepEqual(types(decide({ latest, status, units: [u(1, 1), ...fresh], statuses: healthy('web-1-1'), now: 2000 })), ['drain web-1-1']);
  // 2: old draining, still desired -> wait (then deleted after drainSeconds)
  assert.deepEqual(types(decide({ latest, status, units: [u(1, 1, { drainingSince: 2000 }), ...fresh], statuses: healthy('web-1-1'), now: 3000 })), []);
  assert.deepEqual(types(decide({ latest, status, units: [u(1, 1, { drainingSince: 2000 }), ...fresh], statuses: healthy('web-1-1'), now: 7000 })), ['delete web-1-1']);
  // 3: desired unit deleted, but its container still stops (status present) -> wait: the port is not free yet
  assert.deepEqual(decide({ latest, status, units: fresh, statuses: new Map([['web-1-1', st('web-1-1', { state: 'stopping', healthy: false })]]), now: 8000 }), []);
  // 4: gone -> release the new ones; another service's status does not matter
  assert.deepEqual(types(decide({ latest, status, units: fresh, statuses: healthy('webx-1-1'), now: 9000 })), ['release web-2-1', 'release web-2-2']);
  // 5: healthy -> succeed
  const released = fresh.map((f) => ({ ...f, hold: undefined, host: 'h1', releasedAt: 9000 }));
  assert.deepEqual(types(decide({ latest, status, units: released, statuses: healthy('web-2-1', 'web-2-2'), now: 10_000 })), ['succeed']);
});

test('a failed recreate starts the serving version again, held until the failed instances are gone', () => {
  const latest = rec(2, { strategy: 'recreate' });
  const statuses = new Map([['web-2-1', st('web-2-1', { state: 'exited', healthy: false, restarts: 3, exitCode: 1, reason: 'exited with code 1' })]]);
  const acts = decide({ latest, status: deploying(2, { strategy: 'recreate' }), servingRecord: rec(1), units: [u(2, 1, { releasedAt: 1 })], statuses, now: 5000 });
  assert.deepEqual(types(acts), ['delete web-2-1', 'fail']);
  const fail = acts[1] as Extract<RolloutAction, { type: 'fail' }>;
  assert.match(fail.reason, /version 1 is started again \(2 instances\)/);
  assert.deepEqual(fail.restore!.map((r) => [r.unit, r.hold]), [['web-1-1', true], ['web-1-2', true]]);
  const failed = { service: 'web', version: 2, state: 'failed' as const, startedAt: 0 };
  assert.deepEqual(decide({ latest, status: failed, units: fail.restore!, statuses, now: 6000 }), [], 'the failed instance still stops');
  assert.deepEqual(types(decide({ latest, status: failed, units: fail.restore!, statuses: new Map(), now: 7000 })), ['release web-1-1', 'release web-1-2']);
});

test('a failed recreate whose restore was written in part (the controller died before the outcome) is decided again under the same names', () => {
  const latest = rec(2, { strategy: 'recreate' });
  const statuses = new Map([['web-2-1', st('web-2-1', { state: 'exited', healthy: false, restarts: 3, exitCode: 1, reason: 'exited with code 1' })]]);
  const input = { latest, status: deploying(2, { strategy: 'recreate' }), servingRecord: rec(1), statuses, now: 5000 };
  const first = decide({ ...input, units: [u(2, 1, { releasedAt: 1 })] }).find((a) => a.type === 'fail') as Extract<RolloutAction, { type: 'fail' }>;
  // one of the two restore units was written before the controller died
  const again = decide({ ...input, units: [u(2, 1, { releasedAt: 1 }), first.restore![0]] }).find((a) => a.type === 'fail') as Extract<RolloutAction, { type: 'fail' }>;
  assert.deepEqual(again.restore!.map((r) => r.unit), first.restore!.map((r) => r.unit), 'the same units, not two more');
  assert.match(again.reason, /version 1 is started again \(2 instances\)/, 'a held restore unit is not the serving version running');
});

test("a failed recreate's restore takes numbers the serving version never handed out (its old instances may still run where an agent is away)", () => {
  const latest = rec(2, { strategy: 'recreate' });
  const statuses = new Map([['web-2-1', st('web-2-1', { state: 'exited', healthy: false, restarts: 3, exitCode: 1, reason: 'exited with code 1' })]]);
  // version 1 handed out 1 to 3 (scaled down to 2 since); the recreate drained them and their entries are gone
  const input = { latest, status: deploying(2, { strategy: 'recreate' }), servingRecord: rec(1), servingIssued: 3, statuses, now: 5000 };
  const fail = decide({ ...input, units: [u(2, 1, { releasedAt: 1 })] }).find((a) => a.type === 'fail') as Extract<RolloutAction, { type: 'fail' }>;
  assert.deepEqual(fail.restore!.map((r) => [r.unit, r.instance, r.spec.env.PAZ_INSTANCE]), [['web-1-4', 4, '4'], ['web-1-5', 5, '5']]);
  // written in part before the controller died (the mark is raised with the outcome, so it still says 3)
  const again = decide({ ...input, units: [u(2, 1, { releasedAt: 1 }), fail.restore![0]] }).find((a) => a.type === 'fail') as Extract<RolloutAction, { type: 'fail' }>;
  assert.deepEqual(again.restore!.map((r) => r.unit), ['web-1-4', 'web-1-5'], 'completed under the same numbers');
});

test('a deploy of zero instances finishes at once, draining what ran before', () => {
  assert.deepEqual(types(decide({ latest: rec(2), units: [u(1, 1)], statuses: healthy('web-1-1'), now: 2000 })), ['drain web-1-1', 'succeed']);
  assert.deepEqual(types(decide({ latest: rec(1), serving: 0, units: [], statuses: new Map(), now: 2000 })), ['succeed']);
});

test('scale acts on the latest version, or on the serving one when the latest failed', () => {
  assert.equal(scaleVersion(3, 'succeeded', 3), 3);
  assert.equal(scaleVersion(3, 'deploying', 2), 3);
  assert.equal(scaleVersion(3, 'failed', 2), 2);
  assert.equal(scaleVersion(1, 'failed', 0), 0, 'a failed first deploy: nothing to scale');
  assert.equal(scaleVersion(0, undefined, 0), 0);
});

test('rollback goes to the newest succeeded version before the serving one', () => {
  const states: Record<number, 'succeeded' | 'failed'> = { 1: 'succeeded', 2: 'succeeded', 3: 'failed', 4: 'succeeded', 5: 'failed' };
  assert.equal(rollbackVersion(5, 4, (v) => states[v]), 2, 'version 4 serves; 3 failed');
  assert.equal(rollbackVersion(2, 2, (v) => states[v]), 1);
  assert.equal(rollbackVersion(3, 0, () => 'failed'), 2, 'nothing ever succeeded: the one before the latest');
  assert.equal(rollbackVersion(1, 1, () => 'succeeded'), undefined);
});

test('rollback never picks a version known to be bad while another serves; one with no outcome on record is fine', () => {
  // version 2 serves, version 1 failed: nothing good to go back to (the user names version 1 to get it anyway)
  assert.equal(rollbackVersion(2, 2, (v) => (v === 1 ? 'failed' : 'succeeded')), undefined);
  assert.equal(rollbackVersion(4, 2, (v) => ({ 1: 'failed', 2: 'succeeded', 3: 'failed', 4: 'failed' } as const)[v]), undefined);
  // overtaken before it ended (still "deploying"): never shown to be good either
  assert.equal(rollbackVersion(3, 3, (v) => (v === 2 ? 'deploying' : v === 1 ? 'failed' : 'succeeded')), undefined);
  // deployed before outcomes were kept: no record says it was bad
  assert.equal(rollbackVersion(3, 3, (v) => (v === 2 ? undefined : v === 1 ? 'succeeded' : 'succeeded')), 1);
  assert.equal(rollbackVersion(3, 3, (v) => (v === 2 ? undefined : 'failed')), 2);
});

test('rollback passes over versions that run what serves (a restart, a deploy of nothing new)', () => {
  // 1 ran :1, 2 ran :2, 3 restarted 2 and serves: back to 1, not to 2
  assert.equal(rollbackVersion(3, 3, () => 'succeeded', (v) => v === 2), 1);
  assert.equal(rollbackVersion(3, 3, () => 'succeeded', (v) => v === 2 || v === 1), undefined, 'nothing else ran');
  assert.equal(rollbackVersion(3, 3, (v) => (v === 2 ? undefined : 'succeeded'), (v) => v === 2), 1, 'nor with no outcome on record');
});

test('two versions run the same thing when image, digest and config but the count are equal', () => {
  const v = { image: 'r/app:1', digest: 'sha256:aa', config: { numInstances: 2, env: { A: '1' }, ports: [{ container: 80 }] } } as unknown as Parameters<typeof runsTheSame>[0];
  assert.equal(runsTheSame(v, structuredClone(v)), true);
  assert.equal(runsTheSame(v, { ...v, config: { ...v.config, numInstances: 5 } }), true, 'the count is not what runs');
  assert.equal(runsTheSame(v, { ...v, config: { ...v.config, env: { A: '2' } } }), false);
  assert.equal(runsTheSame(v, { ...v, image: 'r/app:2' }), false);
  assert.equal(runsTheSame(v, { ...v, digest: 'sha256:bb' }), false, 'the tag moved');
  assert.equal(runsTheSame(v, { ...v, digest: undefined }), true, 'a digest not known: the image says it');
});

test('a unit is described with its own error', () => {
  assert.equal(describeStatus(st('a', { state: 'exited', healthy: false, exitCode: 3, reason: 'exited with code 3', lastOutput: ['', 'boom'] })), 'exited: exited with code 3; last output: boom');
  // kept output that begins at the message (a crash's stack after it, cut): its beginning is quoted, and the count
  const crash = ["Error: ENOENT: no such file or directory, open '/app/config.yml'", ...Array.from({ length: 8 }, (_, i) => `    at frame${i} (file.js:${i}:1)`), '… 7 more lines (paz logs shows them)'];
  assert.equal(
    describeStatus(st('a', { state: 'exited', healthy: false, exitCode: 1, reason: 'exited with code 1: Error: ENOENT', lastOutput: crash })),
    "exited: exited with code 1: Error: ENOENT; last output: Error: ENOENT: no such file or directory, open '/app/config.yml' |     at frame0 (file.js:0:1) |     at frame1 (file.js:1:1) |     at frame2 (file.js:2:1) | … 7 more lines (paz logs shows them)",
  );
  assert.equal(describeStatus(st('a', { state: 'exited', healthy: false, exitCode: 1, reason: 'x', lastOutput: ['boom', '… 1 more line (paz logs shows them)'] })), 'exited: x (exit code 1); last output: boom | … 1 more line (paz logs shows them)');
  assert.equal(describeStatus(st('a', { state: 'failed', healthy: false, exitCode: 137, reason: 'killed for using more memory than its limit', restarts: 1 })), 'failed: killed for using more memory than its limit (exit code 137), 1 restart');
});

test('a unit still waiting for its health check is described with what its last check found, once', () => {
  const waiting = st('a', { state: 'running', healthy: false, healthySince: undefined, reason: 'waiting for the health check: GET / gets an HTTP answer below 500', lastProbe: { at: 1, ok: false, error: 'GET /: ECONNREFUSED; nothing listens on port 8080 inside the container' } });
  assert.equal(describeStatus(waiting), 'running: waiting for the health check: GET / gets an HTTP answer below 500 (last check: GET /: ECONNREFUSED; nothing listens on port 8080 inside the container)');
  // a deploy that ran out of time on it says so
  const units = [u(1, 1), u(2, 1)];
  const statuses = healthy('web-1-1');
  statuses.set('web-2-1', { ...waiting, unit: 'web-2-1' });
  const acts = decide({ latest: rec(2), units, statuses, now: 60_000 });
  assert.match((acts.at(-1) as { reason: string }).reason, /not healthy within 60 s: web-2-1 running: waiting for the health check: .*\(last check: GET \/: ECONNREFUSED; nothing listens on port 8080 inside the container\)/);
  // the reason of an unhealthy unit already quotes its check's error: not twice; a passing check adds nothing
  assert.equal(describeStatus(st('a', { state: 'unhealthy', healthy: false, reason: 'never became healthy: health check failed 3 times: GET /: ECONNREFUSED', lastProbe: { at: 1, ok: false, error: 'GET /: ECONNREFUSED' } })), 'unhealthy: never became healthy: health check failed 3 times: GET /: ECONNREFUSED');
  assert.equal(describeStatus(st('a', { state: 'healthy', lastProbe: { at: 1, ok: true } })), 'healthy');
});

test('a drained instance goes before its drain time is over; one still busy waits for the clock', () => {
  const units = [u(1, 1, { drainingSince: 2000 }), u(1, 2, { drainingSince: 2000 }), u(2, 1), u(2, 2)];
  const st = { service: 'web', version: 2, state: 'succeeded' as const, startedAt: 0 };
  const input = { latest: rec(2), status: st, serving: 2, units, statuses: healthy('web-2-1', 'web-2-2'), drained: new Set(['web-1-1']) };
  assert.deepEqual(decideRollout({ ...input, now: 2500 }), [{ type: 'delete', unit: 'web-1-1' }]);
  assert.deepEqual(decideRollout({ ...input, now: 7000 }), [{ type: 'delete', unit: 'web-1-1' }, { type: 'delete', unit: 'web-1-2' }]);
});

test('a unit placed again after its host was lost gets a fresh healthy deadline; a held one still waits for its release', async () => {
  const { unplacedAfterHostLoss } = await import('./placement.js');
  // a deploy whose new unit's host died 55 s into a 60 s deadline: placed elsewhere, it starts from nothing
  const moved = unplacedAfterHostLoss(u(2, 1, { placedAt: 1_000 }), 'h1', 55_000);
  assert.equal(moved.host, null);
  assert.equal(moved.placedAt, undefined);
  assert.equal(moved.releasedAt, 55_000);
  assert.match(moved.reason!, /host h1 stopped heartbeating/);
  const units = [u(1, 1), { ...moved, host: 'h2' }];
  const statuses = healthy('web-1-1');
  statuses.set('web-2-1', st('web-2-1', { host: 'h2', state: 'starting', healthy: false, healthySince: undefined }));
  assert.deepEqual(decide({ latest: rec(2), units, statuses, now: 61_000 }), [], 'not overdue on the dead host\'s time');
  assert.deepEqual(types(decide({ latest: rec(2), units, statuses, now: 115_000 })), ['delete web-2-1', 'fail'], 'its own 60 s still bound it');
  const held = unplacedAfterHostLoss(u(2, 2, { hold: true }), 'h1', 55_000);
  assert.equal(held.releasedAt, undefined, 'its clock starts when the rollout releases it');
});
