/**
 * The journal entry of an instance that had to be killed: it did not exit within its stop grace after SIGTERM. Each
 * deploy, scale-down and restart of such an app waits the whole grace (10 s by default) and then kills it mid-work,
 * and nothing else says why a deploy took that much longer (Kamal's and Docker's users meet it as "stop timeout").
 */
import { keys } from './keys.js';
import { parseUnitName } from './unit-name.js';
import type { JournalEntry } from './records.js';

export interface KilledStop {
  unit: string;
  /** when it was killed (ms) */
  at: number;
  graceSeconds: number;
  /** why it was being stopped: retired (a deploy replaced it, a scale down), or the reason of its restart */
  during: { kind: 'retire' } | { kind: 'restart'; why: string };
}

/** The entry's key and JSON value, and its message (for the agent's log). */
export function killedStopEntry(k: KilledStop): { key: string; value: string; message: string } {
  const name = parseUnitName(k.unit);
  const service = name?.service ?? '';
  const version = name?.version ?? 0;
  const during = k.during.kind === 'retire' ? 'while it was being retired' : `while it was being restarted (${k.during.why})`;
  const entry: JournalEntry = {
    event: 'unit-killed',
    serviceName: service,
    version,
    timestamp: k.at,
    message:
      `${k.unit} did not exit within its ${k.graceSeconds} s stop grace after SIGTERM and was killed ${during}: each deploy, scale-down ` +
      `and restart waits that long for it. An app that exits on SIGTERM (finishing its requests first) stops at once; ` +
      `rollout.stopGraceSeconds sets the wait`,
  };
  return { key: keys.journal(k.at, service, version, `unit-killed-${k.unit}`), value: JSON.stringify(entry), message: entry.message! };
}
