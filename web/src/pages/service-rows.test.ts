import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serviceRow, serviceRows, type RolloutFacts } from './service-rows.js';

const unit = (version: number, healthy: boolean) => ({ name: `web-${version}-1`, version, healthy, state: healthy ? 'healthy' : 'starting' });

test('a service never deployed has no serving version and needs no attention', () => {
  assert.deepEqual(serviceRow({ name: 'web', config: { numInstances: 2 } }, undefined), { name: 'web', healthy: 0, desired: 2, needsAttention: false });
});

test('healthy counts only the serving version; a deploy under way or short of instances needs attention', () => {
  const deploying: RolloutFacts = { version: 2, serving: 1, state: 'deploying', units: [unit(1, true), unit(2, false)] };
  const row = serviceRow({ name: 'web', config: { numInstances: 1 } }, deploying);
  assert.equal(row.serving, 1);
  assert.equal(row.healthy, 1);
  assert.equal(row.needsAttention, true);
  assert.deepEqual(row.lastDeploy, { version: 2, state: 'deploying', reason: undefined, at: undefined });
  const done = serviceRow({ name: 'web', config: { numInstances: 1 } }, { version: 2, serving: 2, state: 'succeeded', finishedAt: 1700000000000, units: [unit(2, true)] });
  assert.equal(done.needsAttention, false);
  assert.equal(done.lastDeploy?.at, 1700000000000);
});

test('rows needing attention come first, then by name', () => {
  const ok: RolloutFacts = { version: 1, serving: 1, state: 'succeeded', units: [unit(1, true)] };
  const failed: RolloutFacts = { version: 1, serving: 0, state: 'failed', reason: 'image not found', units: [] };
  const rows = serviceRows(
    [{ name: 'b', config: { numInstances: 1 } }, { name: 'a', config: { numInstances: 1 } }, { name: 'c', config: { numInstances: 1 } }],
    new Map([['a', ok], ['b', ok], ['c', failed]]),
  );
  assert.deepEqual(rows.map((r) => r.name), ['c', 'a', 'b']);
  assert.equal(rows[0].serving, undefined);
});
