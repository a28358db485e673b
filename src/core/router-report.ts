/**
 * Drains end on requests, not on a clock (pure). Each host that runs a router publishes a RouterReport
 * under its agent's lease (`/paz/routers/<hostId>`): for every unit it routes in the drain state, the
 * requests still in flight on it, summed over HAProxy's current worker and the old workers a reload left
 * behind. The control plane counts a draining unit as drained once every live router has reported 0 for it
 * from a table that already had it draining. Store revisions, not clocks, order "drain written" before
 * "router applied it", so hosts with skewed clocks cannot end a drain early.
 */
import type { DesiredUnit, HostRecord } from './records.js';

export interface DrainingServerReport {
  /** HAProxy `scur` of the server: requests being served (idle pooled keep-alive connections are not counted) */
  sessions: number;
  /** HAProxy `qcur`: requests queued for it */
  queued: number;
  /** set when the numbers are incomplete (e.g. an old worker left by a reload did not answer): not drained */
  unknown?: string;
}

export interface RouterReport {
  host: string;
  /** when the numbers were read (ms, the agent's clock; for humans, not for decisions) */
  at: number;
  /**
   * the newest modRevision among the desired units the router had applied when the numbers were read:
   * every change to a desired unit at or before this revision (a drain) was in HAProxy at that time
   */
  revision: number;
  /** HAProxy workers of earlier configurations still finishing their connections */
  oldWorkers: number;
  /** units routed in the drain state, by unit name */
  draining: Record<string, DrainingServerReport>;
}

/** In flight on one draining server, or undefined when the router cannot tell. */
export function inFlight(r: DrainingServerReport | undefined): number | undefined {
  if (!r) return 0; // not routed (drain applied and endpoint already withdrawn, or never routed here)
  if (r.unknown) return undefined;
  return r.sessions + r.queued;
}

export interface DrainInput {
  /** desired units with the revision of their key (a unit's drain write is at or before it) */
  units: Array<{ unit: DesiredUnit; modRevision: number }>;
  /** live hosts (their lease holds) */
  hosts: HostRecord[];
  reports: Map<string, RouterReport>;
}

/**
 * The draining units that no router sends requests to any more. With no router in the cluster there is
 * no evidence either way, so nothing is drained early: `drainSeconds` decides.
 */
export function drainedUnits(input: DrainInput): Set<string> {
  const drained = new Set<string>();
  const routers = input.hosts.filter((h) => h.routerPort !== undefined);
  if (routers.length === 0) return drained;
  for (const { unit, modRevision } of input.units) {
    if (unit.drainingSince === undefined) continue;
    const done = routers.every((h) => {
      const report = input.reports.get(h.id);
      return !!report && report.revision >= modRevision && inFlight(report.draining[unit.unit]) === 0;
    });
    if (done) drained.add(unit.unit);
  }
  return drained;
}

/** Reports differ in what the control plane reads (everything but `at`): written only when this changes. */
export function sameReport(a: RouterReport | undefined, b: RouterReport): boolean {
  if (!a) return false;
  const strip = ({ at: _at, ...rest }: RouterReport) => rest;
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}
