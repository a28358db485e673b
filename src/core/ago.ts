/** How long ago something was, in the words the CLI and the dashboard both use. Pure, free of Node imports. */

/** How long ago `at` (ms since the epoch) was, from `now`: "5 s ago", "3 min ago", "2 h ago". */
export function ago(at: number, now: number): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** A unit's last restart in words, for a unit whose current state has no reason of its own (it runs again). */
export function lastRestartText(r: { at: number; why: string }, now: number): string {
  return `last restart ${ago(r.at, now)}: ${r.why}`;
}
