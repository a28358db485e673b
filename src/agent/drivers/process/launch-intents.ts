/**
 * Launch intents: a file `units/<unit>.launch` written BEFORE a unit's process is spawned and removed once its
 * state file (with the pid) is written. An agent killed in between (kill -9, power loss) leaves the intent
 * behind; the next driver on this state dir finds the process it may have spawned by the intent's launch id,
 * which the process carries in its environment (PAZ_LAUNCH_ID) and, with cgroups, by the unit's cgroup, and
 * kills it: a process nobody recorded would otherwise run on unseen, or run beside the unit's next start.
 */
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../../../fs/atomic-file.js';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The environment variable that ties a process to the launch that spawned it. */
export const LAUNCH_ID_ENV = 'PAZ_LAUNCH_ID';

export interface LaunchIntent {
  unit: string;
  /** random, unique per launch; also in the state file once the launch is recorded */
  launchId: string;
  /** the process was to enter the unit's cgroups */
  cgroups: boolean;
  at: string;
}

const SUFFIX = '.launch';

export class LaunchIntents {
  constructor(private readonly unitsDir: string) {}

  private path(unit: string): string {
    return join(this.unitsDir, unit + SUFFIX);
  }

  /** Synchronous and atomic: the intent is on disk before spawn() is even called. */
  write(intent: LaunchIntent): void {
    const path = this.path(intent.unit);
    writeFileAtomic(path, JSON.stringify(intent) + '\n', { durable: true });
  }

  remove(unit: string): void {
    rmSync(this.path(unit), { force: true });
  }

  /** Intents left on disk (unreadable ones are returned as far as the name tells). */
  list(): LaunchIntent[] {
    const out: LaunchIntent[] = [];
    for (const f of readdirSync(this.unitsDir)) {
      if (!f.endsWith(SUFFIX)) continue;
      const unit = f.slice(0, -SUFFIX.length);
      try {
        out.push(JSON.parse(readFileSync(join(this.unitsDir, f), 'utf8')) as LaunchIntent);
      } catch {
        out.push({ unit, launchId: '', cgroups: true, at: '' });
      }
    }
    return out;
  }
}

/** What recovery needs to look at; the driver passes its own helpers. */
export interface RecoveryDeps {
  intents: LaunchIntents;
  /** the launch id recorded in the unit's state file, if any */
  recordedLaunchId(unit: string): string | undefined;
  /** pids in the unit's cgroup (empty without cgroups) */
  cgroupProcs(unit: string): number[];
  pidsWithEnv(name: string, value: string): number[];
  isAlive(pid: number): boolean;
  log: { warn(msg: string): void };
}

/**
 * Kills what launches interrupted before they were recorded left running, then forgets their intents. Returns
 * the pids it killed. A launch whose state file carries its launch id was recorded: it is adopted as usual.
 */
export async function recoverInterruptedLaunches(d: RecoveryDeps, waitMs = 10_000): Promise<number[]> {
  const killed: number[] = [];
  for (const intent of d.intents.list()) {
    if (intent.launchId !== '' && d.recordedLaunchId(intent.unit) === intent.launchId) {
      d.intents.remove(intent.unit);
      continue;
    }
    const pids = new Set<number>(d.cgroupProcs(intent.unit));
    if (intent.launchId !== '') for (const pid of d.pidsWithEnv(LAUNCH_ID_ENV, intent.launchId)) pids.add(pid);
    pids.delete(process.pid);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
      } catch {
        // gone already
      }
    }
    const deadline = Date.now() + waitMs;
    while ([...pids].some((p) => d.isAlive(p)) && Date.now() < deadline) await sleep(20);
    if (pids.size > 0) {
      d.log.warn(`${intent.unit}: killed pid ${[...pids].join(', ')}, started by an agent that died before recording it`);
    }
    d.intents.remove(intent.unit);
  }
  return killed;
}
