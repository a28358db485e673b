/**
 * Starting one process unit: its working directory, environment and host ports, its cgroups, the launch
 * intent on disk before the process exists (launch-intents.ts), the spawn, and the state file after it.
 * What the driver then tracks of the running process (exit events, adoption, stats) stays in the driver.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, rmSync, statSync } from 'node:fs';
import type { UnitUser } from '../../../core/unit-user.js';
import { DriverError, type UnitSpec } from '../driver.js';
import type { UnitCgroups } from './cgroup-v1.js';
import { chooseHostPorts } from './host-ports.js';
import { LAUNCH_ID_ENV, type LaunchIntents } from './launch-intents.js';
import { rotatedLogPath } from './log-cap.js';
import { requireProgram } from './program-path.js';
import { spawnUnitProcess } from './spawn-unit.js';
import type { SpawnedChild, Spawner } from './spawner.js';
import type { UnitFiles, UnitStateFile } from './unit-files.js';
import { buildUnitEnv, cgroupEnterScript, cgroupLimitValues, inheritedEnv, programAndArgs, type BoundPort } from './unit-launch.js';

export interface UnitLauncherDeps {
  files: UnitFiles;
  intents: LaunchIntents;
  spawner: Spawner;
  /** the cgroup manager when cgroups are usable on this host */
  cgroups: () => UnitCgroups | undefined;
  /** who units run as; undefined: the agent's own user */
  unitUser: UnitUser | undefined;
  /** the environment inherited variables come from */
  baseEnv: () => NodeJS.ProcessEnv;
  pidsMax: number | undefined;
}

export interface LaunchedUnit {
  state: UnitStateFile;
  child: SpawnedChild;
}

export class UnitLauncher {
  constructor(private readonly deps: UnitLauncherDeps) {}

  /**
   * Spawns `spec`'s process. `freshLog` starts its log anew (a new start) or appends (a restart);
   * `preferredPorts` are the host ports of its previous run, kept when still free.
   */
  async launch(spec: UnitSpec, how: { freshLog: boolean; preferredPorts: BoundPort[] }): Promise<LaunchedUnit> {
    const { files, intents, unitUser: user } = this.deps;
    const unit = spec.unit;
    const { program, args } = programAndArgs(spec);
    const workDir = files.workDir(unit);
    // the agent's HOME is not the unit's: one it cannot enter breaks programs that keep files there
    const inherited: Record<string, string> = { ...inheritedEnv(this.deps.baseEnv()), ...(user && user.uid !== 0 ? { HOME: workDir } : {}) };
    const programPath = requireProgram(program, spec.env.PATH ?? inherited.PATH);
    const ports = await chooseHostPorts(spec.ports, how.preferredPorts);
    const env = buildUnitEnv(spec, ports, inherited);
    mkdirSync(workDir, { recursive: true });
    if (user) {
      chownSync(workDir, user.uid, user.gid);
      chmodSync(workDir, 0o700);
    }

    const cg = this.deps.cgroups();
    let procsFiles: string[] = [];
    try {
      if (cg) procsFiles = await cg.prepare(unit, cgroupLimitValues(spec, this.deps.pidsMax));
      // the wrapper enters the cgroups as the unit's user: it may write its own pid there, and nothing else
      if (user) for (const f of procsFiles) chownSync(f, user.uid, user.gid);
    } catch (err) {
      throw new DriverError('START_FAILED', `${unit}: cannot prepare its cgroups: ${String(err)}`, err);
    }
    // what this driver cannot give a unit that Docker would, for whoever reads the unit's log
    const notes: string[] = [];
    if (!cg && (spec.memoryMb !== undefined || spec.cpus !== undefined)) notes.push(`no writable cgroup v1 on this host; ${unit} runs without its memory/cpu limits`);
    if (spec.volumes.length > 0) notes.push(`the process driver mounts no volumes; ${unit} sees the host's files at their host paths`);
    const launchId = randomUUID();
    env[LAUNCH_ID_ENV] = launchId;
    // the intent is on disk before the process exists: an agent killed before the state file below is written
    // leaves it, and the next driver finds and kills the unrecorded process (launch-intents.ts)
    intents.write({ unit, launchId, cgroups: cg !== undefined, at: new Date().toISOString() });
    let child: SpawnedChild;
    // where this run's output will begin: `logs` with a `since` at or after its start reads from here
    const logStart = how.freshLog ? 0 : (statSync(files.logPath(unit), { throwIfNoEntry: false })?.size ?? 0);
    // a new start's log begins anew, and the older part the log cap kept of the previous one goes with it
    if (how.freshLog) rmSync(rotatedLogPath(files.logPath(unit)), { force: true });
    try {
      const [file, argv]: [string, string[]] = cg
        ? ['/bin/sh', ['-c', cgroupEnterScript(procsFiles), 'paz-unit', programPath, ...args]]
        : [programPath, args];
      child = await spawnUnitProcess(this.deps.spawner, file, argv, { cwd: workDir, env, logPath: files.logPath(unit), freshLog: how.freshLog, notes, ...(user ? { user } : {}) });
    } catch (err) {
      intents.remove(unit);
      await cg?.remove(unit).catch(() => {});
      throw new DriverError('START_FAILED', `${unit}: cannot start ${programPath}: ${String(err)}`, err);
    }
    const state: UnitStateFile = {
      spec,
      program: programPath,
      args,
      pid: child.pid,
      // read by the spawning thread before its loop turned: until then even a process that already exited is
      // still a zombie in /proc
      procStartTicks: child.startTicks,
      startedAt: new Date().toISOString(),
      logStart,
      ports,
      cgroups: cg !== undefined,
      launchId,
      logAppends: true,
    };
    files.write(unit, state);
    intents.remove(unit);
    return { state, child };
  }
}
