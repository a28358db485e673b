/**
 * What the Units pages show of a unit: its state's tone, its health in words (last probe, healthy since),
 * and the followed log as a bounded list of lines. Pure.
 */
import type { Unit } from '../../../src/api/answer-types.js';
import { ago } from '../../../src/core/ago.js';

export type Tone = 'ok' | 'bad' | 'busy' | 'idle';

export function unitTone(u: Pick<Unit, 'state' | 'healthy'>): Tone {
  if (u.healthy) return 'ok';
  if (u.state === 'failed' || u.state === 'exited' || u.state === 'unhealthy') return 'bad';
  if (u.state === 'stopped' || u.state === 'unplaced') return 'idle';
  return 'busy';
}

/** The last health probe in words: passed or failed (with why), and when. */
export function probeText(u: Pick<Unit, 'lastProbe'>, now: number): string {
  const p = u.lastProbe;
  if (!p) return 'no probe yet';
  return `${p.ok ? 'passed' : `failed: ${p.error ?? 'no reason given'}`} (${ago(p.at, now)})`;
}

/**
 * A followed log: whole lines, at most `max` of them (the oldest dropped), and the unfinished end of the
 * last chunk, kept until its line end arrives.
 */
export interface LogBuffer {
  lines: string[];
  partial: string;
  /** lines dropped from the front to stay within max */
  dropped: number;
}

export const emptyLog: LogBuffer = { lines: [], partial: '', dropped: 0 };

export function appendLog(buf: LogBuffer, chunk: string, max: number): LogBuffer {
  const parts = (buf.partial + chunk).split('\n');
  const partial = parts.pop() ?? '';
  const lines = parts.length === 0 ? buf.lines : buf.lines.concat(parts.map((l) => l.replace(/\r$/, '')));
  const over = Math.max(0, lines.length - max);
  return { lines: over > 0 ? lines.slice(over) : lines, partial, dropped: buf.dropped + over };
}
