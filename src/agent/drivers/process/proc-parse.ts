/**
 * Pure parsers for the text files the process driver reads: /proc/<pid>/stat, /proc/<pid>/status and the
 * cgroup v1 files of a unit's own cgroups. No I/O here, so every format quirk has a unit test.
 */

/**
 * Clock ticks per second for /proc times (USER_HZ). Linux reports /proc/<pid>/stat times in USER_HZ,
 * which is 100 on every architecture Node runs on; Node has no sysconf() to ask.
 */
export const CLOCK_TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat the driver uses (see proc(5); numbering there starts at 1). */
export interface ProcPidStat {
  pid: number;
  /** the executable name, without the surrounding parentheses */
  comm: string;
  /** R, S, D, Z (zombie), T, t, X, I, ... */
  state: string;
  ppid: number;
  pgrp: number;
  /** user and system CPU time in clock ticks */
  utimeTicks: number;
  stimeTicks: number;
  /** time the process started after boot, in clock ticks; with the pid it identifies one process */
  startTicks: number;
}

/**
 * Parses one /proc/<pid>/stat line. The command name may itself contain spaces and parentheses,
 * so the fields are split after the LAST ')'.
 */
export function parseProcPidStat(text: string): ProcPidStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: ${JSON.stringify(text.slice(0, 80))}`);
  const pid = Number(text.slice(0, open).trim());
  const comm = text.slice(open + 1, close);
  // rest[0] is field 3 (state), so field n of proc(5) is rest[n - 3]
  const rest = text.slice(close + 1).trim().split(/\s+/);
  if (rest.length < 20 || !Number.isInteger(pid)) {
    throw new Error(`truncated /proc/<pid>/stat line: ${JSON.stringify(text.slice(0, 80))}`);
  }
  return {
    pid,
    comm,
    state: rest[0],
    ppid: Number(rest[1]),
    pgrp: Number(rest[2]),
    utimeTicks: Number(rest[11]),
    stimeTicks: Number(rest[12]),
    startTicks: Number(rest[19]),
  };
}

/** A process that is a zombie (Z) or dead (X) has finished: only its exit status is left. */
export function isFinishedProcState(state: string): boolean {
  return state === 'Z' || state === 'X' || state === 'x';
}

/** Resident set size in bytes from /proc/<pid>/status (`VmRSS:   1234 kB`); undefined for kernel threads. */
export function parseVmRssBytes(statusText: string): number | undefined {
  const m = /^VmRSS:\s+(\d+)\s*kB/m.exec(statusText);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** The uptime in seconds from /proc/uptime (`490.32 888.55`: uptime, idle). */
export function parseUptimeSeconds(text: string): number {
  const first = text.trim().split(/\s+/)[0];
  const v = first === '' ? Number.NaN : Number(first);
  if (!Number.isFinite(v)) throw new Error(`bad /proc/uptime: ${JSON.stringify(text)}`);
  return v;
}

/**
 * CPU use as a fraction of one core: CPU seconds used over wall seconds elapsed (0.25 = a quarter of a core,
 * 2 = two cores fully busy). Zero when no time has passed, never negative (counters reset on restarts).
 */
export function cpuFraction(cpuSecondsDelta: number, wallSecondsDelta: number): number {
  if (!(wallSecondsDelta > 0) || !(cpuSecondsDelta > 0)) return 0;
  return cpuSecondsDelta / wallSecondsDelta;
}

/** The `oom_kill N` counter of a v1 memory.oom_control file (kernel >= 4.13); 0 when absent. */
export function parseOomKillCount(oomControlText: string): number {
  const m = /^oom_kill\s+(\d+)/m.exec(oomControlText);
  return m ? Number(m[1]) : 0;
}

/** One `key value` line of a v1 memory.stat file, e.g. `total_inactive_file`. */
export function parseMemoryStatValue(memoryStatText: string, key: string): number | undefined {
  const m = new RegExp(`^${key}\\s+(\\d+)`, 'm').exec(memoryStatText);
  return m ? Number(m[1]) : undefined;
}

/**
 * A v1 memory.limit_in_bytes value, or undefined when it means "no limit": the kernel writes
 * PAGE_COUNTER_MAX * page size (9223372036854771712 on 64-bit), which Number cannot hold exactly.
 */
export function parseMemoryLimit(text: string): number | undefined {
  const v = Number(text.trim());
  if (!Number.isFinite(v) || v <= 0 || v >= 2 ** 62) return undefined;
  return v;
}

/** Process ids listed in a cgroup.procs file, one per line. */
export function parseCgroupProcs(text: string): number[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
}

/** True when a /proc/<pid>/environ text (NUL-separated `NAME=value`) holds exactly `name=value`. */
export function environHas(environText: string, name: string, value: string): boolean {
  return environText.split('\0').includes(`${name}=${value}`);
}

/** `NAME=value` pairs of /proc/<pid>/environ (NUL-separated) as an environment; a value may hold `=`. */
export function parseEnviron(environText: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of environText.split('\0')) {
    const eq = pair.indexOf('=');
    if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

/** The real uid and gid of /proc/<pid>/status (`Uid:` and `Gid:` lines: real, effective, saved, filesystem). */
export function parseUidGid(statusText: string): { uid: number; gid: number } | undefined {
  const uid = /^Uid:\s+(\d+)/m.exec(statusText);
  const gid = /^Gid:\s+(\d+)/m.exec(statusText);
  return uid && gid ? { uid: Number(uid[1]), gid: Number(gid[1]) } : undefined;
}

/** `root` and every process below it, parents before children, from (pid, ppid) pairs of one /proc scan. */
export function processTree(root: number, pairs: ReadonlyArray<readonly [pid: number, ppid: number]>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of pairs) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const out: number[] = [];
  const seen = new Set<number>();
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}
