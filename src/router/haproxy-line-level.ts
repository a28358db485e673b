/**
 * The log level of one line of HAProxy's own output. HAProxy labels the routine steps of every reload
 * (old proxies stopping, the former worker exiting cleanly, the master re-executing) [WARNING], and so every
 * server state Paz sets through the runtime API (a slot taken into or out of maintenance, drained for a deploy)
 * and every recovery its checks see; Paz logs those at info, so that a warning in Paz's log is something an
 * operator should look at: a server its checks found down, a worker that crashed.
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
  // states Paz sets: a slot filled (ready), emptied (maint), drained while a deploy or a drain retires its unit
  /\bServer \S+ is UP\/READY \(leaving forced (?:maintenance|drain)\)/,
  /\bServer \S+ enters drain state\b/,
  /\bServer \S+ remains in forced drain mode\b/,
  /\bServer \S+ is going DOWN for maintenance\b/,
  /\bServer \S+ was DOWN and now enters maintenance\b/,
  // a server its checks found down answers again (going down stays a warning)
  /\bServer \S+ is UP, reason: /,
];

/** `stopping`: the router is stopping HAProxy on purpose, so its alerts and warnings are expected. */
export function haproxyLineLevel(line: string, stopping: boolean): HaproxyLineLevel {
  if (stopping) return 'info';
  if (line.includes('[ALERT]')) return 'error';
  if (line.includes('[WARNING]')) return ROUTINE_WARNINGS.some((r) => r.test(line)) ? 'info' : 'warn';
  return 'info';
}
