import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROLLOUT_DEFAULTS, rolloutSettings } from './rollout-defaults.js';
import { RolloutSchema, checkConfig, DEFAULT_CONFIG } from './service-spec.js';

test('the defaults the schema documents are the defaults the code uses', () => {
  const props = RolloutSchema.properties as Record<string, { default?: unknown }>;
  const documented = Object.fromEntries(Object.entries(props).filter(([, p]) => p.default !== undefined).map(([k, p]) => [k, p.default]));
  assert.deepEqual(documented, { ...ROLLOUT_DEFAULTS });
  const s = rolloutSettings({});
  assert.deepEqual(
    { maxSurge: s.maxSurge, healthyDeadlineSeconds: s.healthyDeadlineMs / 1000, minHealthySeconds: s.minHealthyMs / 1000, drainSeconds: s.drainMs / 1000, stopGraceSeconds: s.stopGraceSeconds },
    documented,
  );
});

test('minHealthySeconds must be shorter than the deadline', () => {
  assert.throws(() => checkConfig({ ...DEFAULT_CONFIG, rollout: { minHealthySeconds: 10, healthyDeadlineSeconds: 10 } }), /rollout\.minHealthySeconds \(10\) must be less than rollout\.healthyDeadlineSeconds \(10\)/);
  assert.doesNotThrow(() => checkConfig({ ...DEFAULT_CONFIG, rollout: { minHealthySeconds: 5 } }));
});
