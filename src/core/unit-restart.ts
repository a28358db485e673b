/**
 * Restarting one instance (`paz restart NAME --unit U`, Heroku's `ps:restart web.1`, kubectl's "delete the pod
 * and let it be replaced"), without a gap: a fresh instance of the same version replaces it and the old one is
 * retired once the new one is healthy, as a host drain moves a unit (placement.ts planHostDrains; the
 * host-drain loop applies it). Pure: whether a restart may be asked now, and how one goes.
 */
import type { DesiredUnit, UnitStatus } from './records.js';
import type { RolloutState } from './rollout-policy.js';
import type { DrainPlan } from './placement.js';

/** Why `unit` cannot be restarted now, in words for whoever asked; undefined when it can. */
export function restartRefusal(unit: DesiredUnit, units: readonly DesiredUnit[], latestState: RolloutState | undefined, latestVersion: number): string | undefined {
  if (latestState === 'deploying') return `service "${unit.service}" is deploying version ${latestVersion} right now: restart ${unit.unit} once that rollout ends (paz rollout ${unit.service} follows it)`;
  if (unit.drainingSince !== undefined) return `${unit.unit} is being retired already (replaced, scaled away or an old version): there is nothing to restart`;
  if (unit.host === null) return `${unit.unit} is not placed on a host yet (${unit.reason ?? 'waiting for placement'}): there is nothing running to restart`;
  const replacement = units.find((r) => r.replaces === unit.unit && r.drainingSince === undefined);
  if (replacement) return `${unit.unit} is being replaced already, by ${replacement.unit}: follow it with paz units ${unit.service}`;
  return undefined;
}

export type UnitRestartState = 'replacing' | 'retiring' | 'replaced' | 'stuck';

export interface UnitRestartProgress {
  /**
   * replacing: its replacement is on its way (the old one serves); retiring: the replacement took over and the old
   * one is being drained and stopped; replaced: the old one is stopped and removed; stuck: the replacement cannot
   * be placed or started, or is not healthy by its deadline (the old one keeps serving)
   */
  state: UnitRestartState;
  /** the instance that takes over, once there is one */
  replacement?: string;
  reason?: string;
}

/**
 * How the restart of `unit` goes, from the units, their statuses and the drain loop's plan (planHostDrains with
 * the restart asked). Replaced means the old instance is stopped and removed: its agent deletes its status only
 * then, so a unit gone from the desired state whose status is still there is still being stopped.
 */
export function restartProgress(unit: string, units: readonly DesiredUnit[], plan: DrainPlan, statuses: Map<string, UnitStatus>): UnitRestartProgress {
  const old = units.find((u) => u.unit === unit);
  const replacement = units.find((r) => r.replaces === unit && r.drainingSince === undefined) ?? units.find((r) => r.replaces === unit);
  const named = replacement ? { replacement: replacement.unit } : {};
  if (!old) return { state: statuses.has(unit) ? 'retiring' : 'replaced', ...named };
  if (old.drainingSince !== undefined) return { state: 'retiring', ...named };
  const stuck = plan.stuck.find((s) => s.unit === unit);
  if (stuck) return { state: 'stuck', ...named, reason: stuck.reason };
  return { state: 'replacing', ...named };
}
