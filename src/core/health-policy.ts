/**
 * Health verdicts from probe results, with thresholds and a start-up grace period. Pure.
 */
import type { HealthCheck } from './service-spec.js';
import { HEALTH_CHECK_DEFAULTS } from './health-check-defaults.js';
import { backoffDelayMs } from './backoff.js';
import type { ProbeChoice } from './probe-choice.js';

export interface HealthSettings {
  path?: string;
  intervalMs: number;
  timeoutMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  graceMs: number;
}

export function healthSettings(check: HealthCheck | undefined): HealthSettings {
  return {
    path: check?.path,
    intervalMs: (check?.intervalSeconds ?? HEALTH_CHECK_DEFAULTS.intervalSeconds) * 1000,
    timeoutMs: (check?.timeoutSeconds ?? HEALTH_CHECK_DEFAULTS.timeoutSeconds) * 1000,
    healthyThreshold: check?.healthyThreshold ?? HEALTH_CHECK_DEFAULTS.healthyThreshold,
    unhealthyThreshold: check?.unhealthyThreshold ?? HEALTH_CHECK_DEFAULTS.unhealthyThreshold,
    graceMs: (check?.gracePeriodSeconds ?? HEALTH_CHECK_DEFAULTS.gracePeriodSeconds) * 1000,
  };
}

export interface HealthState {
  healthy: boolean;
  successes: number;
  failures: number;
  /** the last probe's failure, for the unit's reason */
  lastError?: string;
}

export const INITIAL_HEALTH: HealthState = { healthy: false, successes: 0, failures: 0 };

export type HealthVerdict = 'became-healthy' | 'became-unhealthy' | 'unchanged';

/**
 * Folds one probe result into the state. A unit that never became healthy is reported unhealthy only once
 * the grace period (a start-up window) is over and the failures reach the threshold, so slow starters are
 * not restarted early; a unit that was healthy is reported unhealthy as soon as the failures reach it.
 */
export function observeProbe(
  s: HealthState,
  ok: boolean,
  error: string | undefined,
  sinceStartMs: number,
  cfg: HealthSettings,
): { state: HealthState; verdict: HealthVerdict } {
  if (ok) {
    const successes = s.successes + 1;
    const becomes = !s.healthy && successes >= cfg.healthyThreshold;
    return { state: { healthy: s.healthy || becomes, successes, failures: 0 }, verdict: becomes ? 'became-healthy' : 'unchanged' };
  }
  // the grace is a start-up window: once the app has answered, failures count at once
  if (!s.healthy && sinceStartMs < cfg.graceMs) return { state: { ...s, successes: 0, lastError: error }, verdict: 'unchanged' };
  const failures = s.failures + 1;
  const reached = failures >= cfg.unhealthyThreshold;
  const verdict: HealthVerdict = reached && (s.healthy || s.failures + 1 === cfg.unhealthyThreshold) ? 'became-unhealthy' : 'unchanged';
  return { state: { healthy: s.healthy && !reached, successes: 0, failures, lastError: error }, verdict };
}

/**
 * Kamal's most asked-about failure ("target failed to become healthy"): an app that takes longer to open its
 * port than the start-up grace is restarted before it can, and so never starts. Said in the reason of a unit that
 * never became healthy when its last probe found nothing listening at all (not another port, not its loopback).
 */
export function slowStartHint(graceMs: number): string {
  return ` (it was still not listening after its ${Math.round(graceMs / 1000)} s start-up grace: an app that takes longer to start needs a longer healthCheck.gracePeriodSeconds)`;
}

/**
 * Without a probe (no TCP port: probe-choice.ts 'none') "running" is all that can be known, and a process that
 * exits at once (an app that cannot start) is running for a few milliseconds. Reported healthy then, a rolling
 * deploy with `minHealthySeconds: 0` counted the new version healthy and retired the working one, losing the
 * service (test/rollout-crash-no-probe.test.ts). So a unit without a probe counts healthy only once it has kept
 * running this long, like Kamal's `readiness_delay` (7 s) for a container without a health check, or Nomad's
 * `min_healthy_time`. 2 s: longer than a crash at start-up takes (the restart after it comes 1 s later), short
 * enough that such services still deploy in seconds; the rollout's own `minHealthySeconds` comes on top.
 */
export const RUNNING_ONLY_HEALTHY_AFTER_MS = 2000;

/**
 * How long after a unit was found running its first probe runs: a unit without a probe must first have run
 * RUNNING_ONLY_HEALTHY_AFTER_MS (`ranForMs`: how long it already ran, e.g. an instance adopted after an agent
 * restart); the others after 200 ms, or their interval when it is shorter.
 */
export function firstProbeDelayMs(kind: ProbeChoice['kind'], intervalMs: number, ranForMs = 0): number {
  if (kind === 'none') return Math.max(0, RUNNING_ONLY_HEALTHY_AFTER_MS - Math.max(0, ranForMs));
  return Math.min(200, intervalMs);
}

/** Restart backoff: 1 s, 2 s, 4 s … capped at 30 s. */
export function restartDelayMs(consecutiveRestarts: number): number {
  return backoffDelayMs(consecutiveRestarts, { initialMs: 1000, maxMs: 30_000 });
}
