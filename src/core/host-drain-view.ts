/**
 * How each drained host's drain is going, for GET /cluster/hosts, host health and `paz host drain --wait`
 * (pure): its record (since when, who) with the progress planHostDrains and drainProgress work out.
 */
import type { DesiredUnit, HostDrainRecord, HostRecord, UnitStatus } from './records.js';
import { drainProgress, planHostDrains, type HostDrainState, type Unplaceable } from './placement.js';

export interface HostDrainView {
  since: number;
  actor: string;
  /** draining: units still on it; drained: none left; stuck: some cannot move, with nowhere else to go or a replacement that cannot start (they keep running) */
  state: HostDrainState;
  /** units still placed on the host, retiring ones included, and instances still being stopped there */
  remaining: number;
  stuck: Unplaceable[];
}

export function hostDrainViews(input: { drains: Map<string, HostDrainRecord>; units: DesiredUnit[]; hosts: HostRecord[]; statuses: Map<string, UnitStatus>; now: number }): Map<string, HostDrainView> {
  const out = new Map<string, HostDrainView>();
  if (input.drains.size === 0) return out;
  const plan = planHostDrains({ units: input.units, hosts: input.hosts, drained: new Set(input.drains.keys()), statuses: input.statuses, now: input.now });
  for (const [id, r] of input.drains) out.set(id, { since: r.since, actor: r.actor, ...drainProgress(id, input.units, plan, input.statuses) });
  return out;
}
