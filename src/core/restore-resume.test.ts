// What a restore changes: only the deadline clock of the units of deploys it caught under way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resumeDeploys } from './restore-resume.js';
import { decideRollout } from './rollout-policy.js';
import type { DeployRecord, DesiredUnit } from './records.js';
import type { BackupEntry } from './backup-format.js';

const BACKED_UP = 1_000_000;
const RESTORED = BACKED_UP + 86_400_000; // a day later
const unit = (version: number, instance: number, extra: Partial<DesiredUnit> = {}): DesiredUnit => ({
  unit: `web-${version}-${instance}`, service: 'web', version, instance, host: 'old-host', createdAt: BACKED_UP - 20_000, placedAt: BACKED_UP - 19_000,
  spec: { image: 'x', ports: [], env: {}, volumes: [], stopGraceSeconds: 1 }, ...extra,
});
const entry = (u: DesiredUnit): BackupEntry => ({ key: `/paz/units/desired/web/${u.unit}`, value: JSON.stringify(u) });
const status = (version: number, state: string): BackupEntry => ({ key: `/paz/scheduler/status/web/${version}`, value: JSON.stringify({ service: 'web', version, state, startedAt: BACKED_UP - 20_000 }) });

test('a deploy caught half-way gets its whole deadline again; held, draining and other versions\' units are written back as they were', () => {
  const starting = unit(2, 1, { releasedAt: BACKED_UP - 5000 });
  const first = unit(2, 2);
  const held = unit(2, 3, { hold: true, host: null });
  const serving = unit(1, 1);
  const draining = unit(1, 2, { drainingSince: BACKED_UP - 1000 });
  const other = { key: '/paz/directory/services/web', value: '{"not":"a unit"}' };
  const entries = [status(1, 'succeeded'), status(2, 'deploying'), ...[starting, first, held, serving, draining].map(entry), other, { key: '/paz/units/desired/web/broken', value: 'not json' }];
  const { entries: out, resumed } = resumeDeploys(entries, RESTORED);
  assert.deepEqual(resumed, ['web-2-1', 'web-2-2']);
  const byKey = new Map(out.map((e) => [e.key, e.value]));
  assert.deepEqual(JSON.parse(byKey.get(entry(starting).key)!), { ...starting, releasedAt: RESTORED });
  assert.deepEqual(JSON.parse(byKey.get(entry(first).key)!), { ...first, releasedAt: RESTORED });
  for (const same of [held, serving, draining].map(entry)) assert.equal(byKey.get(same.key), same.value, 'byte for byte');
  assert.equal(byKey.get(other.key), other.value);
  assert.equal(byKey.get('/paz/units/desired/web/broken'), 'not json');
  assert.equal(out.length, entries.length);
});

test('without it a day-old backup fails its deploy at once, not on what the app does; with it the deploy goes on', () => {
  const latest = { service: 'web', version: 2, config: { numInstances: 2 }, timestamp: BACKED_UP - 20_000 } as unknown as DeployRecord;
  const v2 = [unit(2, 1, { releasedAt: BACKED_UP - 5000 }), unit(2, 2)];
  const units = [unit(1, 1), unit(1, 2), ...v2];
  const input = { latest, status: { service: 'web', version: 2, state: 'deploying' as const, startedAt: BACKED_UP - 20_000 }, serving: 1, statuses: new Map(), now: RESTORED + 2000 };
  const before = decideRollout({ ...input, units });
  assert.ok(before.some((a) => a.type === 'fail'), 'as restored byte for byte: failed for a deadline that passed while nothing could run');
  const { entries } = resumeDeploys([status(2, 'deploying'), ...units.map(entry)], RESTORED);
  const restored = entries.filter((e) => e.key.startsWith('/paz/units/desired/')).map((e) => JSON.parse(e.value) as DesiredUnit);
  assert.deepEqual(decideRollout({ ...input, units: restored }), [], 'resumed: waiting for its units to start');
});

test('a backup with no deploy under way is written back unchanged', () => {
  const entries = [status(1, 'succeeded'), entry(unit(1, 1))];
  const r = resumeDeploys(entries, RESTORED);
  assert.deepEqual(r, { entries, resumed: [] });
});
