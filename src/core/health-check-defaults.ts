/**
 * Defaults of `healthCheck`: the schema (service-spec.ts) documents these and `healthSettings` (health-policy.ts) applies these,
 * so the two cannot disagree. A file of its own so the agent, which applies them, does not load the
 * schemas (TypeBox is about 13 MiB of memory).
 */
export const HEALTH_CHECK_DEFAULTS = {
  intervalSeconds: 1,
  timeoutSeconds: 2,
  healthyThreshold: 1,
  unhealthyThreshold: 3,
  /** like Kubernetes' default startup window (3 probes × 10 s): a slow starter is not killed before it could answer */
  gracePeriodSeconds: 30,
} as const;
