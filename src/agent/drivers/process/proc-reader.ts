/**
 * Reads a process's facts from /proc. A pid alone does not identify a process (pids are reused), so a
 * process is "the same" only when its /proc/<pid>/stat starttime matches the one recorded at spawn.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isFinishedProcState, parseProcPidStat, parseUptimeSeconds, parseVmRssBytes, type ProcPidStat } from './proc-parse.js';

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
}
