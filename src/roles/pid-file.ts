/**
 * `<data dir>/paz.pid`: which process runs a role on this data dir. `paz up`/`paz agent`/`paz server` write it
 * at start and remove it on a clean stop; a second role on the same data dir refuses to start (two agents on
 * one data dir would run every unit twice), and `paz down` finds the process to stop. A pid alone is not a
 * process (pids are reused), so the file also holds the process's start time from /proc/<pid>/stat.
 */
import { readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../fs/atomic-file.js';
import { join } from 'node:path';
import { ProcReader } from '../agent/drivers/process/proc-reader.js';

export interface PidRecord {
  pid: number;
  /** /proc/<pid>/stat starttime */
  startTicks: number | null;
  role: string;
}

export function pidFilePath(dataDir: string): string {
  return join(dataDir, 'paz.pid');
}

/** `<pid> <startTicks|-> <role>` */
export function formatPidRecord(r: PidRecord): string {
  return `${r.pid} ${r.startTicks ?? '-'} ${r.role}\n`;
}

export function parsePidRecord(text: string): PidRecord | undefined {
  const m = /^(\d+) (\d+|-) (\S+)\s*$/.exec(text);
  if (!m) return undefined;
  return { pid: Number(m[1]), startTicks: m[2] === '-' ? null : Number(m[2]), role: m[3] };
}

const proc = new ProcReader();

/** The role process recorded in the data dir, when it still runs. */
export function runningRole(dataDir: string): PidRecord | undefined {
  let text: string;
  try {
    text = readFileSync(pidFilePath(dataDir), 'utf8');
  } catch {
    return undefined;
  }
  const r = parsePidRecord(text);
  if (!r || r.pid === process.pid) return undefined;
  return proc.isAlive(r.pid, r.startTicks) ? r : undefined;
}

/** Claims the data dir for this process; throws naming the process that already runs on it. */
export function claimDataDir(dataDir: string, role: string): void {
  const other = runningRole(dataDir);
  if (other) {
    throw new Error(`paz ${other.role} (pid ${other.pid}) already runs on data dir ${dataDir}: stop it (paz down --data-dir ${dataDir}) or use another --data-dir`);
  }
  const path = pidFilePath(dataDir);
  writeFileAtomic(path, formatPidRecord({ pid: process.pid, startTicks: proc.stat(process.pid)?.startTicks ?? null, role }));
}

/** Removes the pid file if it is still this process's. */
export function releaseDataDir(dataDir: string): void {
  try {
    if (parsePidRecord(readFileSync(pidFilePath(dataDir), 'utf8'))?.pid === process.pid) rmSync(pidFilePath(dataDir), { force: true });
  } catch {
    /* already gone */
  }
}
