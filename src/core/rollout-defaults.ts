/**
 * The rollout defaults, in one place: the schema documents these values (`default` in RolloutSchema) and
 * the code falls back to the same ones (`rolloutSettings`), so what the API docs say is what happens.
 * Pure.
 */
import type { ServiceConfig } from './service-spec.js';

/** The most instances a service can have (numInstances' maximum). */
export const MAX_INSTANCES = 1000;

export type RolloutStrategy = 'rolling' | 'recreate';

export const ROLLOUT_DEFAULTS = {
  /** new instances started at once: all of them (a service has at most MAX_INSTANCES) */
  maxSurge: MAX_INSTANCES,
  /** how long each new instance has, from when it may start, to become healthy */
  healthyDeadlineSeconds: 300,
  /**
   * how long a new instance must stay healthy before it counts for the rollout (Nomad's min_healthy_time
   * is 10 s). 3 s catches an app that passes one probe and dies right after (the agent restarts a crash
   * after 1 s) without making every deploy, and every test, wait long.
   */
  minHealthySeconds: 3,
  /** how long old instances may finish in-flight requests */
  drainSeconds: 10,
  /** SIGTERM to SIGKILL delay */
  stopGraceSeconds: 10,
} as const;

/** A new instance that restarted this often since it was allowed to start fails its deploy at once. */
export const CRASH_LOOP_RESTARTS = 3;

/**
 * Agent failure codes that no retry can fix: the deploy fails at once instead of waiting for its deadline.
 * (REGISTRY_UNREACHABLE, PULL_FAILED, PORT_IN_USE may pass; the agent retries them.) A registry that refuses
 * a pull (REGISTRY_AUTH) waits for someone to set credentials, which the next deploy then uses.
 */
export const PERMANENT_FAILURES = ['IMAGE_NOT_FOUND', 'REGISTRY_AUTH', 'VOLUME_REFUSED'] as const;

export interface RolloutSettings {
  strategy: RolloutStrategy | undefined;
  maxSurge: number;
  healthyDeadlineMs: number;
  minHealthyMs: number;
  drainMs: number;
  stopGraceSeconds: number;
}

/** A config's rollout settings with the defaults filled in (times in ms). */
export function rolloutSettings(config: Pick<ServiceConfig, 'rollout'> | undefined): RolloutSettings {
  const r = config?.rollout ?? {};
  return {
    strategy: r.strategy,
    maxSurge: r.maxSurge ?? ROLLOUT_DEFAULTS.maxSurge,
    healthyDeadlineMs: (r.healthyDeadlineSeconds ?? ROLLOUT_DEFAULTS.healthyDeadlineSeconds) * 1000,
    minHealthyMs: (r.minHealthySeconds ?? ROLLOUT_DEFAULTS.minHealthySeconds) * 1000,
    drainMs: (r.drainSeconds ?? ROLLOUT_DEFAULTS.drainSeconds) * 1000,
    stopGraceSeconds: r.stopGraceSeconds ?? ROLLOUT_DEFAULTS.stopGraceSeconds,
  };
}
