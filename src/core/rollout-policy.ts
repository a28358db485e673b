/**
 * Rolling deploys, decided (pure): given a service's desired units, their reported status, its latest
 * deploy and the time, what to do next. The new version's instances start beside the old ones (at most
 * `maxSurge` starting at once); only when all of them are healthy are the old instances drained (routers
 * send them nothing new while in-flight requests finish), then deleted after `drainSeconds`. A new version
 * not healthy by its deadline is stopped while the old one keeps serving: an automatic rollback.
 */
import type { DeployRecord, DesiredUnit, UnitStatus } from './records.js';

export const DEFAULT_HEALTHY_DEADLINE_SECONDS = 300;
export const DEFAULT_DRAIN_SECONDS = 10;

export type RolloutState = 'deploying' | 'succeeded' | 'failed';

export interface RolloutStatus {
  service: string;
  version: number;
  state: RolloutState;
  reason?: string;
  startedAt: number;
  finishedAt?: number;
}

export type RolloutAction =
  | { type: 'release'; unit: string }
  | { type: 'drain'; unit: string }
  | { type: 'delete'; unit: string }
  | { type: 'succeed'; version: number; message: string }
  | { type: 'fail'; version: number; reason: string };

export interface RolloutInput {
  /** the service's latest deploy; undefined when it was never deployed */
  latest: DeployRecord | undefined;
  /** what is already decided about the latest version */
  status: RolloutStatus | undefined;
  units: DesiredUnit[];
  statuses: Map<string, UnitStatus>;
  now: number;
  /** draining units that every router reports without requests in flight (router-report.ts drainedUnits) */
  drained?: Set<string>;
}

export function isHealthy(u: DesiredUnit, statuses: Map<string, UnitStatus>): boolean {
  const s = statuses.get(u.unit);
  return !!s && !!u.host && s.host === u.host && s.healthy;
}

function whyNotHealthy(units: DesiredUnit[], statuses: Map<string, UnitStatus>): string {
  const parts = units
    .filter((u) => !isHealthy(u, statuses))
    .map((u) => {
      const s = statuses.get(u.unit);
      const why = !u.host ? u.reason ?? 'not placed' : s ? `${s.state}${s.reason ? `: ${s.reason}` : ''}` : 'not started';
      return `${u.unit} ${why}`;
    });
  return parts.join('; ');
}

export function decideRollout(input: RolloutInput): RolloutAction[] {
  const actions: RolloutAction[] = [];
  const { latest, units, statuses, now } = input;
  const drainMs = (latest?.config.rollout?.drainSeconds ?? DEFAULT_DRAIN_SECONDS) * 1000;

  // Instances go once the routers show nothing in flight on them, or when their drain time is over.
  for (const u of units) {
    if (u.drainingSince !== undefined && (now - u.drainingSince >= drainMs || input.drained?.has(u.unit))) actions.push({ type: 'delete', unit: u.unit });
  }
  if (!latest) return actions;

  const live = units.filter((u) => u.drainingSince === undefined);
  const fresh = live.filter((u) => u.version === latest.version);
  const old = live.filter((u) => u.version < latest.version);
  const state = input.status?.state ?? 'deploying';
  if (state === 'failed') return actions;

  if (state === 'deploying') {
    const maxSurge = latest.config.rollout?.maxSurge ?? Number.MAX_SAFE_INTEGER;
    const starting = fresh.filter((u) => !u.hold && !isHealthy(u, statuses)).length;
    const held = fresh.filter((u) => u.hold).sort((a, b) => a.instance - b.instance);
    for (const u of held.slice(0, Math.max(0, maxSurge - starting))) actions.push({ type: 'release', unit: u.unit });

    const allHealthy = fresh.every((u) => !u.hold && isHealthy(u, statuses));
    if (allHealthy) {
      for (const u of old) actions.push({ type: 'drain', unit: u.unit });
      actions.push({ type: 'succeed', version: latest.version, message: `version ${latest.version} is healthy (${fresh.length} instance${fresh.length === 1 ? '' : 's'})${old.length ? `; draining ${old.length} old instance${old.length === 1 ? '' : 's'}` : ''}` });
      return actions;
    }
    const deadline = latest.timestamp + (latest.config.rollout?.healthyDeadlineSeconds ?? DEFAULT_HEALTHY_DEADLINE_SECONDS) * 1000;
    if (now >= deadline) {
      const reason = `version ${latest.version} was not healthy within ${Math.round((deadline - latest.timestamp) / 1000)} s: ${whyNotHealthy(fresh, statuses)}`;
      if (old.length > 0) {
        // automatic rollback: stop the new instances, the old ones never stopped serving
        for (const u of fresh) actions.push({ type: 'delete', unit: u.unit });
        actions.push({ type: 'fail', version: latest.version, reason: `${reason}; version ${old[0].version} keeps serving` });
      } else {
        actions.push({ type: 'fail', version: latest.version, reason: `${reason}; no earlier version to keep serving, so it keeps trying` });
      }
    }
    return actions;
  }

  // succeeded: anything older that is still live (e.g. placed late) is drained too
  for (const u of old) actions.push({ type: 'drain', unit: u.unit });
  return actions;
}
