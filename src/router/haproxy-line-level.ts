/**
 * The log level of one line of HAProxy's own output. HAProxy labels the routine steps of every reload
 * (old proxies stopping, the former worker exiting cleanly, the master re-executing) [WARNING]; Paz logs
 * those at info, so that a warning in Paz's log is something an operator should look at.
 */
export type HaproxyLineLevel = 'error' | 'warn' | 'info';

const ROUTINE_WARNINGS: readonly RegExp[] = [
  /\bProxy \S+ stopped \(/,
  /\bProxy \S+ started\b/,
  /\bStopping (?:proxy|frontend|backend) /,
  /\bFormer worker \(\d+\) exited with code 0\b/,
  /\bReexecuting Master process\b/,
  /\bLoading success\b/,
  /\bAll workers exited\b/,
];

/** `stopping`: the router is stopping HAProxy on purpose, so its alerts and warnings are expected. */
export function haproxyLineLevel(line: string, stopping: boolean): HaproxyLineLevel {
  if (stopping) return 'info';
  if (line.includes('[ALERT]')) return 'error';
  if (line.includes('[WARNING]')) return ROUTINE_WARNINGS.some((r) => r.test(line)) ? 'info' : 'warn';
  return 'info';
}
