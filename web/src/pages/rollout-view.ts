/**
 * What the Service page shows of a deploy in progress: each instance's phase (pulling, starting, healthy,
 * draining, stopped …) and the outcome line ("succeeded", "failed: <the unit's reason>"). Pure.
 */

import type { Rollout } from '../../../src/api/answer-types.js';
import { failedWithNothingServing } from '../../../src/core/rollout-outcome.js';

export interface InstanceRow {
  name: string;
  version: number;
  /** pulling, starting, running, healthy, unhealthy, failed, draining, stopped … */
  phase: string;
  reason?: string;
  /** this instance belongs to the deploy shown (not the version it replaces) */
  isNew: boolean;
}

/** The instances of a rollout: the deploy's new ones first, then the old ones, then those being stopped. */
export function instanceRows(r: Rollout): InstanceRow[] {
  const rows: InstanceRow[] = r.units.map((u) => ({
    name: u.name,
    version: u.version,
    phase: u.draining || u.state === 'stopping' ? 'draining' : u.healthy && u.state !== 'healthy' ? 'healthy' : u.state,
    reason: u.reason,
    isNew: u.version === r.version,
  }));
  const listed = new Set(rows.map((x) => x.name));
  for (const name of r.stopping) {
    if (listed.has(name)) continue;
    const version = Number(/-(\d+)-\d+$/.exec(name)?.[1] ?? 0);
    rows.push({ name, version, phase: 'stopped', isNew: version === r.version });
  }
  const stopped = (x: InstanceRow) => Number(x.phase === 'stopped');
  return rows.sort((a, b) => Number(b.isNew) - Number(a.isNew) || stopped(a) - stopped(b) || a.name.localeCompare(b.name, undefined, { numeric: true }));
}

/** The deploy's outcome in words: "deploying v3 (1 of 2 healthy)", "succeeded", "failed: …". */
export function outcomeText(r: Pick<Rollout, 'version' | 'units' | 'state' | 'reason'>): string {
  if (r.state === 'succeeded') return 'succeeded';
  if (r.state === 'failed') return `failed: ${r.reason ?? 'no reason given'}`;
  const mine = r.units.filter((u) => u.version === r.version);
  return `${r.state} v${r.version} (${mine.filter((u) => u.healthy).length} of ${mine.length} healthy)`;
}

/** What the config comparison says when no version serves: the latest deploy failed, or is still going on. */
export function nothingServesText(r: Pick<Rollout, 'version' | 'state' | 'serving'>): string | undefined {
  if (r.serving) return undefined;
  return failedWithNothingServing(r) ? `Nothing serves: the deploy of v${r.version} failed.` : `Nothing serves yet: v${r.version} is being deployed.`;
}

/** What an empty instance table means: a failed first deploy leaves nothing running, which is not "scaled to 0". */
export function noInstancesText(r: Pick<Rollout, 'version' | 'state' | 'serving'>): string {
  if (failedWithNothingServing(r)) return `No instances: the deploy of v${r.version} failed and no earlier version serves.`;
  return 'No instances (scaled to 0, or all stopped).';
}
