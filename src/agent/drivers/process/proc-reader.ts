/**
 * Reads a process's facts from /proc. A pid alone does not identify a process (pids are reused), so a
 * process is "the same" only when its /proc/<pid>/stat starttime matches the one recorded at spawn.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { environHas, isFinishedProcState, processTree, parseProcPidStat, parseUptimeSeconds, parseVmRssBytes, type ProcPidStat } from './proc-parse.js';

export class ProcReader {
  constructor(private readonly procRoot = '/proc') {}

  stat(pid: number): ProcPidStat | undefined {
    try {
      return parseProcPidStat(readFileSync(join(this.procRoot, String(pid), 'stat'), 'utf8'));
    } catch {
      return undefined;
    }
  }

  rssBytes(pid: number): number | undefined {
    try {
      return parseVmRssBytes(readFileSync(join(this.procRoot, String(pid), 'status'), 'utf8'));
    } catch {
      return undefined;
    }
  }

  uptimeSeconds(): number {
    return parseUptimeSeconds(readFileSync(join(this.procRoot, 'uptime'), 'utf8'));
  }

  /**
   * True while the process spawned as `pid` at `startTicks` runs. A zombie counts as gone: it has exited
   * and only waits for its parent to collect the status.
   */
  isAlive(pid: number, startTicks: number | null): boolean {
    const s = this.stat(pid);
    if (!s || isFinishedProcState(s.state)) return false;
    return startTicks === null || s.startTicks === startTicks;
  }

  /** `pid` and every process below it (children, theirs, ...), read from /proc now. */
  tree(pid: number): number[] {
    const pairs: Array<[number, number]> = [];
    let entries: string[] = [];
    try {
      entries = readdirSync(this.procRoot).filter((d) => /^\d+$/.test(d));
    } catch {
      return [pid];
    }
    for (const d of entries) {
      const s = this.stat(Number(d));
      if (s) pairs.push([Number(d), s.ppid]);
    }
    return processTree(pid, pairs);
  }

  /** Every live process whose environment holds `name=value` (environments of other users' processes are not readable). */
  pidsWithEnv(name: string, value: string): number[] {
    const out: number[] = [];
    let entries: string[] = [];
    try {
      entries = readdirSync(this.procRoot).filter((d) => /^\d+$/.test(d));
    } catch {
      return out;
    }
    for (const d of entries) {
      try {
        if (environHas(readFileSync(join(this.procRoot, d, 'environ'), 'utf8'), name, value)) out.push(Number(d));
      } catch {
        // gone meanwhile, or not readable
      }
    }
    return out;
  }
}
