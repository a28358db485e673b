import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INITIAL_HEALTH, RUNNING_ONLY_HEALTHY_AFTER_MS, firstProbeDelayMs, healthSettings, observeProbe, restartDelayMs } from './health-policy.js';

const cfg = healthSettings({ healthyThreshold: 2, unhealthyThreshold: 3, gracePeriodSeconds: 5 });

test('healthy after healthyThreshold successes in a row', () => {
  let r = observeProbe(INITIAL_HEALTH, true, undefined, 0, cfg);
  assert.equal(r.verdict, 'unchanged');
  r = observeProbe(r.state, true, undefined, 0, cfg);
  assert.equal(r.verdict, 'became-healthy');
  assert.equal(r.state.healthy, true);
});

test('failures inside the grace period are not counted', () => {
  let s = INITIAL_HEALTH;
  for (let i = 0; i < 10; i++) s = observeProbe(s, false, 'refused', 1000, cfg).state;
  assert.equal(s.failures, 0);
  assert.equal(s.lastError, 'refused');
});

test('unhealthy once after unhealthyThreshold failures, healthy or not before', () => {
  let s = { healthy: true, successes: 5, failures: 0 };
  const verdicts = [];
  for (let i = 0; i < 5; i++) {
    const r = observeProbe(s, false, 'timeout', 60_000, cfg);
    verdicts.push(r.verdict);
    s = r.state;
  }
  assert.deepEqual(verdicts, ['unchanged', 'unchanged', 'became-unhealthy', 'unchanged', 'unchanged']);
  assert.equal(s.healthy, false);
  let never = INITIAL_HEALTH;
  const v2 = [];
  for (let i = 0; i < 4; i++) {
    const r = observeProbe(never, false, 'refused', 60_000, cfg);
    v2.push(r.verdict);
    never = r.state;
  }
  assert.deepEqual(v2, ['unchanged', 'unchanged', 'became-unhealthy', 'unchanged']);
});

test('restart backoff doubles up to 30 s', () => {
  assert.deepEqual([0, 1, 2, 5, 10].map(restartDelayMs), [1000, 2000, 4000, 30000, 30000]);
});

test('the defaults the schema documents are the defaults healthSettings uses', async () => {
  const { HealthCheckSchema, HEALTH_CHECK_DEFAULTS } = await import('./service-spec.js');
  const props = HealthCheckSchema.properties as Record<string, { default?: unknown }>;
  const documented = Object.fromEntries(Object.entries(props).filter(([, p]) => p.default !== undefined).map(([k, p]) => [k, p.default]));
  assert.deepEqual(documented, { ...HEALTH_CHECK_DEFAULTS });
  const used = healthSettings(undefined);
  assert.deepEqual(
    {
      intervalSeconds: used.intervalMs / 1000,
      timeoutSeconds: used.timeoutMs / 1000,
      healthyThreshold: used.healthyThreshold,
      unhealthyThreshold: used.unhealthyThreshold,
      gracePeriodSeconds: used.graceMs / 1000,
    },
    documented,
  );
});

test('the grace period is a start-up window: a unit that was healthy fails at once inside it', () => {
  let s = { healthy: true, successes: 3, failures: 0 };
  const verdicts = [];
  for (let i = 0; i < 3; i++) {
    const r = observeProbe(s, false, 'no answer', 1000, cfg);
    verdicts.push(r.verdict);
    s = r.state;
  }
  assert.deepEqual(verdicts, ['unchanged', 'unchanged', 'became-unhealthy']);
});

test('a unit without a probe is first probed (found healthy) only once it has kept running a while; others at once', () => {
  assert.equal(firstProbeDelayMs('none', 1000), RUNNING_ONLY_HEALTHY_AFTER_MS);
  assert.ok(RUNNING_ONLY_HEALTHY_AFTER_MS >= 1000, 'longer than a crash at start-up takes');
  // an instance adopted after an agent restart already ran: only what is left of the wait, never below 0
  assert.equal(firstProbeDelayMs('none', 1000, 500), RUNNING_ONLY_HEALTHY_AFTER_MS - 500);
  assert.equal(firstProbeDelayMs('none', 1000, 60_000), 0);
  assert.equal(firstProbeDelayMs('none', 1000, -5000), RUNNING_ONLY_HEALTHY_AFTER_MS, 'a start time in the future (clock step) waits the whole time');
  assert.equal(firstProbeDelayMs('http', 1000), 200);
  assert.equal(firstProbeDelayMs('listen', 100), 100);
  assert.equal(firstProbeDelayMs('held-connect', 5000, 60_000), 200);
});
