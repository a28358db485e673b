/**
 * The Services list's rows from what the API answers: GET /services and each service's
 * GET /services/:name/rollout (404 NOT_DEPLOYED while it has none). Pure.
 */
import type { Rollout, Service, ServiceConfig, UnitSummary } from '../../../src/api/answer-types.js';

/** what a row needs of a service (GET /services) */
export type ServiceFacts = Pick<Service, 'name'> & { config: Pick<ServiceConfig, 'numInstances'> };
/** what a row needs of its rollout (GET /services/:name/rollout) */
export type RolloutFacts = Pick<Rollout, 'version' | 'serving' | 'state' | 'reason' | 'startedAt' | 'finishedAt'> & { units: Array<Pick<UnitSummary, 'name' | 'version' | 'healthy' | 'state'>> };

export interface ServiceRow {
  name: string;
  /** the version that serves; undefined before the first successful deploy */
  serving?: number;
  healthy: number;
  desired: number;
  /** the latest deploy: its version and outcome (deploying, succeeded, failed) */
  lastDeploy?: { version: number; state: string; reason?: string; at?: number };
  /** deploying, failed, or fewer healthy instances than desired: listed first */
  needsAttention: boolean;
}

export function desiredInstances(s: ServiceFacts): number {
  return s.config.numInstances ?? 1;
}

export function serviceRow(s: ServiceFacts, rollout: RolloutFacts | undefined): ServiceRow {
  const desired = desiredInstances(s);
  if (!rollout) return { name: s.name, healthy: 0, desired, needsAttention: false };
  const healthy = rollout.units.filter((u) => u.healthy && u.version === rollout.serving).length;
  const lastDeploy = { version: rollout.version, state: rollout.state, reason: rollout.reason, at: rollout.finishedAt ?? rollout.startedAt };
  return {
    name: s.name,
    serving: rollout.serving > 0 ? rollout.serving : undefined,
    healthy,
    desired,
    lastDeploy,
    needsAttention: rollout.state !== 'succeeded' || healthy < desired,
  };
}

/** Rows needing attention first, then by name. */
export function serviceRows(services: ServiceFacts[], rollouts: Map<string, RolloutFacts | undefined>): ServiceRow[] {
  return services
    .map((s) => serviceRow(s, rollouts.get(s.name)))
    .sort((a, b) => Number(b.needsAttention) - Number(a.needsAttention) || a.name.localeCompare(b.name));
}
