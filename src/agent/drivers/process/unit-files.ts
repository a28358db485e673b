/**
 * The process driver's files under its state dir, the only memory it keeps across agent restarts:
 *   units/<unit>.json   what was started and what is known about it (UnitStateFile)
 *   logs/<unit>.out     the process's stdout and stderr, written by the process itself
 *   work/<unit>/        the process's working directory
 *   cgroup-parent       the cgroup v1 directory holding the units' cgroups (for `paz down`)
 * State files are written synchronously and atomically (temp file + rename): a reader never sees half a file,
 * and an exit handler's write cannot interleave with another driver instance's read-modify-write.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFileAtomic } from '../../../fs/atomic-file.js';
import { join } from 'node:path';
import type { UnitSpec } from '../driver.js';
import type { BoundPort } from './unit-launch.js';
import { rotatedLogPath } from './log-cap.js';

export interface UnitStateFile {
  spec: UnitSpec;
  /** absolute path of the program that was executed, and its arguments */
  program: string;
  args: string[];
  pid: number;
  /** /proc/<pid>/stat starttime of that pid: a reused pid has another one */
  procStartTicks: number | null;
  startedAt: string;
  /** byte offset in the unit's log file where this run's output begins (the file keeps earlier runs' output) */
  logStart?: number;
  /**
   * where this run's output begins in the log's rotated copy (`.1`), once the log cap moved the run's start there
   * (then `logStart` is 0); 0 once the whole copy is this run's
   */
  logStartInRotated?: number;
  finishedAt?: string;
  exitCode?: number;
  oomKilled?: boolean;
  ports: BoundPort[];
  /** true when the process was started inside the driver's cgroups */
  cgroups: boolean;
  /** the launch that spawned the process (its PAZ_LAUNCH_ID; see launch-intents.ts) */
  launchId?: string;
  /**
   * the process writes its log through an O_APPEND descriptor, so the log may be truncated under it (log-cap.ts).
   * Absent for a process started by an older Paz, whose first start opened its log without: truncated, it would
   * write on at its old offset, after a hole; its log is capped once it is started again
   */
  logAppends?: boolean;
}

const STATE_SUFFIX = '.json';

export class UnitFiles {
  readonly unitsDir: string;
  readonly logsDir: string;
  readonly workRoot: string;

  constructor(readonly stateDir: string) {
    this.unitsDir = join(stateDir, 'units');
    this.logsDir = join(stateDir, 'logs');
    this.workRoot = join(stateDir, 'work');
    for (const d of [this.unitsDir, this.logsDir, this.workRoot]) mkdirSync(d, { recursive: true });
  }

  statePath(unit: string): string {
    return join(this.unitsDir, unit + STATE_SUFFIX);
  }

  logPath(unit: string): string {
    return join(this.logsDir, unit + '.out');
  }

  workDir(unit: string): string {
    return join(this.workRoot, unit);
  }

  read(unit: string): UnitStateFile | undefined {
    let text: string;
    try {
      text = readFileSync(this.statePath(unit), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return JSON.parse(text) as UnitStateFile;
  }

  write(unit: string, state: UnitStateFile): void {
    const path = this.statePath(unit);
    // 0600: the spec holds the unit's env, opened secrets included (restarts reuse it, as Docker keeps a container's);
    // durable: units outlive their agent, and the next one adopts them by these files, after a power cut too
    writeFileAtomic(path, JSON.stringify(state, null, 2) + '\n', { mode: 0o600, durable: true });
  }

  /**
   * Applies `change` to the state file if it still describes process `pid` (a newer start may have replaced
   * it); returns the new state, or undefined when nothing was written.
   */
  update(unit: string, pid: number, change: (s: UnitStateFile) => UnitStateFile): UnitStateFile | undefined {
    const current = this.read(unit);
    if (!current || current.pid !== pid) return undefined;
    const next = change(current);
    this.write(unit, next);
    return next;
  }

  /** Remembers the cgroup parent the units run under, so a later process (paz down) can find their cgroups. */
  writeCgroupParent(parent: string): void {
    writeFileSync(join(this.stateDir, 'cgroup-parent'), `${parent}\n`);
  }

  /** The cgroup parent recorded by the driver that started the units, if any. */
  cgroupParent(): string | undefined {
    try {
      return readFileSync(join(this.stateDir, 'cgroup-parent'), 'utf8').trim() || undefined;
    } catch {
      return undefined;
    }
  }

  /** Names of every unit with a state file. */
  units(): string[] {
    return readdirSync(this.unitsDir)
      .filter((f) => f.endsWith(STATE_SUFFIX))
      .map((f) => f.slice(0, -STATE_SUFFIX.length))
      .sort();
  }

  /** Deletes the state file, log and working directory of a unit. */
  delete(unit: string): void {
    rmSync(this.statePath(unit), { force: true });
    rmSync(this.logPath(unit), { force: true });
    rmSync(rotatedLogPath(this.logPath(unit)), { force: true });
    rmSync(this.workDir(unit), { recursive: true, force: true });
  }
}
