/** What started a deploy, in words, as the dashboard's history and `paz history` show it. Pure. */

export interface TriggerWords {
  source: string;
  tag?: string;
  rollbackOf?: number;
  restartOf?: number;
  actor?: string;
}

/** `api (tag 2) by admin`, `rollback to v1 by ci`, `restart of v3 by admin`, `registry (tag 3)` (a push: no token) */
export function triggerText(t: TriggerWords): string {
  const what =
    t.source === 'rollback' && t.rollbackOf !== undefined ? `rollback to v${t.rollbackOf}` : t.source === 'restart' && t.restartOf !== undefined ? `restart of v${t.restartOf}` : t.source;
  return `${what}${t.tag ? ` (tag ${t.tag})` : ''}${t.actor ? ` by ${t.actor}` : ''}`;
}
