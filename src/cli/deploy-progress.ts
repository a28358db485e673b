/**
 * What `paz deploy` says at each poll of GET /services/:name/rollout (pure): the new version's
 * instances waiting, pulling, started and healthy n of m, and why those that wait for a host or keep exiting do;
 * then the old ones draining and stopping; done once no old instance is left. A failed deploy ends the wait at
 * once with its reason.
 */
import { unitsWhy } from '../core/unit-name.js';
import { terminalSafe } from './terminal-safe.js';

export interface RolloutUnit {
  name: string;
  version: number;
  state: string;
  healthy: boolean;
  reason?: string;
}

export interface RolloutDoc {
  version: number;
  state: string;
  reason?: string;
  units: RolloutUnit[];
  /** units no longer desired whose instances are still being stopped */
  stopping?: string[];
}

export type Progress =
  | { outcome: 'wait'; line: string }
  | { outcome: 'done'; line: string }
  | { outcome: 'failed'; line: string }
  | { outcome: 'replaced'; line: string };

/** states in which a unit's reason says why the deploy does not go on (not the routine "pulling", "waiting for the health check") */
const STUCK_STATES: ReadonlySet<string> = new Set(['unplaced', 'exited', 'failed']);

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What a deploy's progress says now; its line holds the server's reasons, with control characters spelled out. */
export function deployProgress(service: string, version: number, r: RolloutDoc): Progress {
  const p = progressOf(service, version, r);
  return { ...p, line: terminalSafe(p.line) };
}

function progressOf(service: string, version: number, r: RolloutDoc): Progress {
  if (r.version !== version) return { outcome: 'replaced', line: `a newer deploy (version ${r.version}) replaced version ${version}` };
  if (r.state === 'failed') return { outcome: 'failed', line: `deploy of ${service} version ${version} failed: ${r.reason ?? 'no reason given'}` };
  const fresh = r.units.filter((u) => u.version === version);
  const old = r.units.filter((u) => u.version !== version);
  const healthy = fresh.filter((u) => u.healthy).length;
  const count = (states: string[]) => fresh.filter((u) => !u.healthy && states.includes(u.state)).length;
  const phases = [
    [count(['unplaced', 'pending']), 'waiting'],
    [count(['pulling']), 'pulling'],
    [count(['starting', 'running', 'unhealthy']), 'started'],
    [count(['exited', 'failed']), 'failed'],
    [count(['stopping', 'stopped']), 'stopping'],
  ] as const;
  const detail = phases.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`);
  const head = `${service} version ${version}: healthy ${healthy} of ${fresh.length}${detail.length ? ` (${detail.join(', ')})` : ''}`;
  if (r.state !== 'succeeded') {
    // what only the unit list said: no host can take them (no agent, a constraint), or the app keeps exiting;
    // a deploy that shows "2 waiting" for its whole deadline, and no more, leaves the user guessing
    const stuck = fresh.filter((u) => !u.healthy && u.reason && STUCK_STATES.has(u.state)).map((u) => ({ unit: u.name, why: `${u.state}: ${u.reason}` }));
    return { outcome: 'wait', line: stuck.length ? `${head}; ${unitsWhy(stuck)}` : head };
  }
  const draining = old.map((u) => u.name);
  const stopping = (r.stopping ?? []).filter((u) => !draining.includes(u));
  if (draining.length === 0 && stopping.length === 0) {
    return { outcome: 'done', line: `${service} version ${version} is serving (${plural(fresh.length, 'instance')}); old instances drained and stopped` };
  }
  const parts = [];
  if (draining.length) parts.push(`draining ${plural(draining.length, 'old instance')} (${draining.join(', ')})`);
  if (stopping.length) parts.push(`stopping ${stopping.join(', ')}`);
  return { outcome: 'wait', line: `${head}; ${parts.join('; ')}` };
}
