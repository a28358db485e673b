/**
 * `paz history`'s table: each deployed version with what started it and how its deploy ended, the serving one
 * marked, as `heroku releases` and `fly releases` show theirs. Pure.
 */

import { triggerText, type TriggerWords } from '../core/trigger-text.js';

export interface HistoryRecord {
  version: number;
  timestamp: number;
  image: string;
  digest?: string;
  trigger: TriggerWords;
  outcome?: { state: string };
}

export const HISTORY_HEADER = ['VERSION', 'DEPLOYED', 'IMAGE', 'DIGEST', 'TRIGGER', 'OUTCOME'];

/**
 * `serving` for the version that serves now, else the deploy's outcome (deploying, succeeded: served before,
 * failed); `-` for a version deployed before outcomes were recorded.
 */
export function outcomeText(r: HistoryRecord, serving: number | undefined): string {
  if (r.version === serving) return 'serving';
  return r.outcome?.state ?? '-';
}

export function historyRows(records: readonly HistoryRecord[], serving: number | undefined): string[][] {
  return records.map((r) => [
    String(r.version),
    new Date(r.timestamp).toISOString(),
    r.image,
    // no digest: not pulled yet since a deploy that could not ask the registry, or a process-driver program
    r.digest ?? '-',
    triggerText(r.trigger),
    outcomeText(r, serving),
  ]);
}
