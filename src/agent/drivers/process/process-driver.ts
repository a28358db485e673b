/**
 * The `process` driver: each unit is a plain process on the host, in its own cgroup v1 directories when the
 * driver may create them (memory and CPU limits, accounting, and a reliable list of everything the unit
 * forked). For hosts without Docker and for scale tests.
 *
 * Units outlive the agent: a unit is spawned detached (own session and process group), with stdout and stderr
 * going straight to its log file, and everything known about it is in a state file (UnitFiles). A restarted
 * agent's new driver reads those files and adopts the processes still running; a pid counts as the unit's
 * process only while /proc/<pid>/stat shows the start time recorded at spawn. A launch intent written before
 * each spawn (launch-intents.ts) covers an agent killed between spawn and state file: the next driver kills
 * that unrecorded process before it lists or starts anything, so no unit runs unseen or twice.
 *
 * Starting a unit is in unit-launcher.ts (spawning itself in spawn-unit.ts), ending one in process-group.ts, the
 * state files in unit-files.ts, cgroups in cgroup-v1.ts, logs in log-lines.ts, watching adopted processes for
 * their death in adopted-units.ts. This class keeps what ties them together: which processes it spawned,
 * per-unit ordering of operations, and the events it reports.
 *
 * Units share the host's network namespace: they listen on host ports themselves (PORT / PORT_<container>),
 * and their network traffic cannot be told apart from the host's.
 *
 * Units run an API-supplied command, so they run as an unprivileged user (`unitUser`, default `nobody`) when
 * the agent is root: their working directory is theirs (0700), their log is written through the descriptor
 * the agent opened, and the agent's own files stay out of reach (the data dir is 0700, root's).
 */
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { UnitUser } from '../../../core/unit-user.js';
import { agentPacer } from '../../pacing.js';
import {
  DriverError,
  type Driver,
  type DriverEvent,
  type LogOptions,
  type PullProgress,
  type StopResult,
  type UnitRuntime,
  type UnitSpec,
  type UnitStats,
} from '../driver.js';
import { AdoptedUnits } from './adopted-units.js';
import { DEFAULT_CGROUP_PARENT, UnitCgroups } from './cgroup-v1.js';
import { hostUnitUser } from './host-unit-user.js';
import { KeyedQueue } from './keyed-queue.js';
import { LaunchIntents, recoverInterruptedLaunches } from './launch-intents.js';
import { logLineStream } from './log-lines.js';
import { ProcReader } from './proc-reader.js';
import { signalUnitProcesses, waitUntilGone } from './process-group.js';
import { requireProgram, resolveProgram } from './program-path.js';
import { Spawner } from './spawner.js';
import { UnitFiles, type UnitStateFile } from './unit-files.js';
import { exitCodeOf, inheritedEnv, isValidUnitName, type BoundPort } from './unit-launch.js';
import { rotatedLogPath, UnitLogCap } from './log-cap.js';
import { UnitLauncher } from './unit-launcher.js';
import { unitRuntimeOf } from './unit-runtime.js';
import { UnitStatsSampler } from './unit-stats-sampler.js';
import { execBeside, type ExecLine } from './unit-exec.js';

/** The subset of a pino logger the driver writes to. */
export interface DriverLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface ProcessDriverOptions {
  /** where the v1 hierarchies are mounted; default /sys/fs/cgroup */
  cgroupRoot?: string;
  /** directory created in each hierarchy to hold the units' cgroups; default `paz` */
  cgroupParent?: string;
  /** false: never use cgroups (units run without limits); default true when the hierarchies are writable */
  useCgroups?: boolean;
  /** pids.max for every unit; default: not limited */
  pidsMax?: number;
  /** environment the inherited variables (PATH, HOME, LANG, ...) come from; default process.env */
  baseEnv?: NodeJS.ProcessEnv;
  /** how often adopted processes (not children of this driver) are checked for death; default 1000 ms */
  adoptedPollMs?: number;
  /**
   * the user units run as when the agent is root; default `nobody`. Root only by the admin's explicit choice
   * (`--unit-user root`). An agent that is not root runs units as itself: it cannot switch users.
   */
  unitUser?: UnitUser;
  logger?: DriverLogger;
  /** a unit's log is copied to `<log>.1` and truncated past this size; default LOG_MAX_BYTES (10 MB) */
  logMaxBytes?: number;
}

/** Grace period when start() replaces a unit whose process still runs. */
const REPLACE_GRACE_SECONDS = 10;
/** How long a SIGKILLed process may take to disappear before stop() gives up with an error. */
const KILL_WAIT_MS = 10_000;

const stderrLogger: DriverLogger = {
  info: () => {},
  warn: (msg) => process.stderr.write(`process-driver: ${msg}\n`),
};

interface OwnedChild {
  pid: number;
  /** resolves once the exit has been recorded in the state file */
  exited: Promise<void>;
}


export class ProcessDriver implements Driver {
  readonly name = 'process' as const;
  private readonly files: UnitFiles;
  private readonly proc = new ProcReader();
  private readonly log: DriverLogger;
  private readonly emitter = new EventEmitter();
  /** units whose process this driver spawned: their exit status arrives through the child's exit event */
  private readonly owned = new Map<string, OwnedChild>();
  /** running units this driver did not spawn (found in state files): polled through /proc to notice death */
  private readonly adopted: AdoptedUnits;
  private readonly sampler = new UnitStatsSampler(this.proc);
  private readonly streams = new Set<Readable>();
  private readonly queue = new KeyedQueue();
  private cgroups: UnitCgroups | undefined;
  private cgroupsProbed = false;
  private readonly exitPacer = agentPacer;
  private readonly intents: LaunchIntents;
  private readonly launcher: UnitLauncher;
  /** keeps each unit's log under LOG_MAX_BYTES (log-cap.ts) */
  private readonly logCap: UnitLogCap;
  private recovery: Promise<void> | undefined;
  /** who units run as; undefined: the agent's own user (an agent that is not root) */
  readonly unitUser: UnitUser | undefined;

  constructor(
    readonly stateDir: string,
    private readonly options: ProcessDriverOptions = {},
  ) {
    this.files = new UnitFiles(stateDir);
    this.intents = new LaunchIntents(this.files.unitsDir);
    this.logCap = new UnitLogCap({
      logs: () => this.files.units().map((unit) => ({ unit, file: this.files.logPath(unit) })),
      // not the logs of processes started by an older Paz, which write without O_APPEND (unit-files.ts)
      mayTruncate: (unit) => this.logAppends(unit),
      // The current run's output now goes on at the file's start, and began in the copy: where its start was in the
      // file, or, after a second move, at the copy's start. `since` reads it from there.
      onRotated: (unit) => {
        const state = this.files.read(unit);
        if (state?.logStart === undefined) return;
        const inRotated = state.logStartInRotated !== undefined ? 0 : state.logStart;
        if (state.logStart !== 0 || state.logStartInRotated !== inRotated) this.files.update(unit, state.pid, (s) => ({ ...s, logStart: 0, logStartInRotated: inRotated }));
      },
      onError: (unit, err) => this.log.warn(unit === undefined ? `cannot list the units to cap their logs: ${String(err)}` : `${unit}: cannot cap its log ${this.files.logPath(unit)}: ${String(err)}`),
      ...(options.logMaxBytes !== undefined ? { maxBytes: options.logMaxBytes } : {}),
    });
    this.log = options.logger ?? stderrLogger;
    this.unitUser = process.getuid?.() === 0 ? (options.unitUser ?? hostUnitUser('nobody')) : undefined;
    this.adopted = new AdoptedUnits({
      isAlive: (pid, startTicks) => this.proc.isAlive(pid, startTicks),
      onDead: (unit, pid) => {
        const state = this.files.read(unit);
        if (state && state.pid === pid) this.noticeGone(unit, state);
        else this.adopted.forget(unit);
      },
      pollMs: options.adoptedPollMs,
    });
    this.launcher = new UnitLauncher({
      files: this.files,
      intents: this.intents,
      spawner: new Spawner(),
      cgroups: () => this.cgroupManager(),
      unitUser: this.unitUser,
      baseEnv: () => this.baseEnv(),
      pidsMax: options.pidsMax,
    });
  }

  /**
   * Once per driver, before it lists or starts anything: processes spawned by a previous agent that died before
   * recording them (see launch-intents.ts) are killed, so they neither run unseen nor beside the unit's next start.
   */
  private recovered(): Promise<void> {
    this.recovery ??= recoverInterruptedLaunches({
      intents: this.intents,
      recordedLaunchId: (unit) => {
        try {
          return this.files.read(unit)?.launchId;
        } catch {
          return undefined;
        }
      },
      cgroupProcs: (unit) => {
        const cg = this.cgroupManager();
        return cg?.exists(unit) ? cg.procs(unit) : [];
      },
      pidsWithEnv: (name, value) => this.proc.pidsWithEnv(name, value),
      isAlive: (pid) => this.proc.isAlive(pid, null),
      log: this.log,
    }).then(() => undefined);
    return this.recovery;
  }

  // ---- images: a process unit's "image" is its program --------------------------------------------------

  async pull(image: string, onProgress?: (p: PullProgress) => void, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const path = requireProgram(image, this.agentPath());
    onProgress?.({ status: `program ${path} is present; nothing to download` });
  }

  async hasImage(image: string): Promise<boolean> {
    return resolveProgram(image, this.agentPath()) !== undefined;
  }

  // ---- lifecycle --------------------------------------------------------------------------------------

  async start(spec: UnitSpec): Promise<UnitRuntime> {
    this.assertUnitName(spec.unit);
    await this.recovered();
    return this.queue.run(spec.unit, async () => {
      const previous = this.files.read(spec.unit);
      if (previous && this.isRunning(previous)) {
        this.log.info(`${spec.unit}: replacing running pid ${previous.pid}`);
        await this.stopProcess(spec.unit, previous, REPLACE_GRACE_SECONDS);
      }
      return this.launch(spec, { freshLog: true, preferredPorts: [] });
    });
  }

  async restart(unit: string): Promise<UnitRuntime> {
    this.assertUnitName(unit);
    await this.recovered();
    return this.queue.run(unit, async () => {
      const state = this.files.read(unit);
      if (!state) throw new DriverError('NOT_FOUND', `no process unit ${unit} on this host`);
      // like `docker start` on a running container: nothing to do
      if (this.isRunning(state)) return unitRuntimeOf(state, true);
      return this.launch(state.spec, { freshLog: false, preferredPorts: state.ports });
    });
  }

  async stop(unit: string, graceSeconds: number): Promise<StopResult> {
    if (!isValidUnitName(unit)) return { killed: false };
    return this.queue.run(unit, async () => {
      const state = this.files.read(unit);
      return { killed: state ? await this.stopProcess(unit, state, graceSeconds) : false };
    });
  }

  async remove(unit: string): Promise<void> {
    if (!isValidUnitName(unit)) return;
    await this.queue.run(unit, async () => {
      const state = this.files.read(unit);
      if (state) await this.stopProcess(unit, state, 0);
      await this.cgroupManager()?.remove(unit);
      this.files.delete(unit);
      this.owned.delete(unit);
      this.adopted.forget(unit);
      this.sampler.forget(unit);
      if (state) this.emit({ type: 'destroy', unit });
    });
  }

  // ---- what is there -----------------------------------------------------------------------------------

  async inspect(unit: string): Promise<UnitRuntime | undefined> {
    if (!isValidUnitName(unit)) return undefined;
    const state = this.files.read(unit);
    return state ? this.observe(unit, state) : undefined;
  }

  async list(): Promise<UnitRuntime[]> {
    await this.recovered();
    const runtimes: UnitRuntime[] = [];
    for (const unit of this.files.units()) {
      let state: UnitStateFile | undefined;
      try {
        state = this.files.read(unit);
      } catch (err) {
        this.log.warn(`${unit}: unreadable state file ${this.files.statePath(unit)}: ${String(err)}`);
        continue;
      }
      if (state) runtimes.push(this.observe(unit, state));
    }
    return runtimes;
  }

  async logs(unit: string, opts: LogOptions): Promise<Readable> {
    // raw lines as the process wrote them: the driver does not stand between a unit and its log file, so it
    // has no per-line times and `timestamps` cannot be honoured; `since` only by run: one at or after the current
    // run's start begins at that run's first line (`paz logs -f` following a unit through its restart), in `.1` when
    // the log cap moved it there. Otherwise `.1`, the older part the log cap moved aside, comes first; `tail` counts
    // across both, as Docker reads json-file's rotated files.
    const state = isValidUnitName(unit) ? this.files.read(unit) : undefined;
    if (!state) throw new DriverError('NOT_FOUND', `no process unit ${unit} on this host`);
    const { pid, procStartTicks } = state;
    const thisRun = opts.since !== undefined && state.logStart !== undefined && opts.since >= Math.floor(Date.parse(state.startedAt) / 1000);
    const stream = logLineStream(this.files.logPath(unit), {
      tail: opts.tail,
      rotated: rotatedLogPath(this.files.logPath(unit)),
      ...(thisRun ? { from: state.logStart, ...(state.logStartInRotated !== undefined ? { rotatedFrom: state.logStartInRotated } : {}) } : {}),
      follow: opts.follow,
      isWriterRunning: () => this.proc.isAlive(pid, procStartTicks),
    });
    this.streams.add(stream);
    stream.once('close', () => this.streams.delete(stream));
    return stream;
  }

  async exec(unit: string, command: string[], onLine: (line: ExecLine) => void | Promise<void>, signal: AbortSignal): Promise<number> {
    const state = isValidUnitName(unit) ? this.files.read(unit) : undefined;
    if (!state || !this.isRunning(state)) throw new DriverError('NOT_FOUND', `${unit} does not run on this host: nothing to run ${command[0]} beside`);
    // the command ends with the unit, as in a container (whose processes die with it): a migration left running
    // beside a unit that crashed, was stopped or was replaced would run against whatever comes next
    const unitStopped = new AbortController();
    const onEvent = (e: DriverEvent) => {
      if (e.unit === unit && (e.type === 'die' || e.type === 'destroy')) unitStopped.abort();
    };
    this.emitter.on('event', onEvent);
    try {
      // (it may have ended between the check above and the subscription)
      if (!this.isRunning(state)) unitStopped.abort();
      return await execBeside(state.pid, command, onLine, AbortSignal.any([signal, unitStopped.signal]));
    } catch (err) {
      // /proc read between the check and now: the unit's process ended meanwhile
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !this.isRunning(state)) throw new DriverError('NOT_FOUND', `${unit} stopped: nothing to run ${command[0]} beside`, err);
      throw err;
    } finally {
      this.emitter.off('event', onEvent);
    }
  }

  async stats(unit: string): Promise<UnitStats | undefined> {
    if (!isValidUnitName(unit)) return undefined;
    const state = this.files.read(unit);
    if (!state || !this.isRunning(state)) return undefined;
    const cg = state.cgroups ? this.cgroupManager() : undefined;
    return this.sampler.sample(unit, state, cg?.exists(unit) ? cg.usage(unit) : undefined);
  }

  async events(listener: (e: DriverEvent) => void): Promise<() => void> {
    this.emitter.on('event', listener);
    // look at what is already running so that deaths of adopted units are reported too
    await this.list();
    return () => {
      this.emitter.off('event', listener);
    };
  }

  async close(): Promise<void> {
    this.logCap.stop();
    this.adopted.close();
    this.emitter.removeAllListeners();
    for (const s of this.streams) s.destroy();
    this.streams.clear();
    // units keep running (an agent restart must not stop them); exit handlers of owned children still record
    // exit codes in the state files
    this.cgroups?.removeParentIfEmpty();
  }

  // ---- internals ---------------------------------------------------------------------------------------

  private baseEnv(): NodeJS.ProcessEnv {
    return this.options.baseEnv ?? process.env;
  }

  /** The PATH units inherit, where a bare program name is looked up unless the spec sets its own PATH. */
  private agentPath(): string {
    return inheritedEnv(this.baseEnv()).PATH;
  }

  private assertUnitName(unit: string): void {
    if (!isValidUnitName(unit)) {
      throw new DriverError('START_FAILED', `unit name ${JSON.stringify(unit)} is not usable as a file and cgroup name`);
    }
  }

  /** The cgroup manager when cgroups are usable here; the first call probes and logs the outcome. */
  private cgroupManager(): UnitCgroups | undefined {
    if (this.cgroupsProbed) return this.cgroups;
    this.cgroupsProbed = true;
    if (this.options.useCgroups === false) {
      this.log.info('cgroups disabled by configuration: units run without memory/cpu limits');
      return undefined;
    }
    const cg = new UnitCgroups(this.options.cgroupRoot, this.options.cgroupParent);
    const availability = cg.probe();
    if (!availability.available) {
      this.log.warn(`cgroup v1 not writable (${availability.reason}): units run without memory/cpu limits`);
      return undefined;
    }
    const missing = cg.missingControllers();
    if (missing) this.log.warn(`cgroup v1 controllers missing: ${missing}; their limits are not applied`);
    // `paz down` (another process, without the agent's flags) finds the units' cgroups by this name
    this.files.writeCgroupParent(this.options.cgroupParent ?? DEFAULT_CGROUP_PARENT);
    this.cgroups = cg;
    return cg;
  }

  /** whether the unit's process writes its log through an O_APPEND descriptor (unit-files.ts: logAppends) */
  private logAppends(unit: string): boolean {
    try {
      return this.files.read(unit)?.logAppends === true;
    } catch {
      return false; // an unreadable state file: list() says so
    }
  }

  private isRunning(state: UnitStateFile): boolean {
    return this.proc.isAlive(state.pid, state.procStartTicks);
  }

  private async launch(spec: UnitSpec, how: { freshLog: boolean; preferredPorts: BoundPort[] }): Promise<UnitRuntime> {
    const unit = spec.unit;
    const { state, child } = await this.launcher.launch(spec, how);
    const pid = state.pid;
    // children that exit together (a scale to 0) are reported together; recording each exit writes its
    // state file, so they are recorded one per event-loop turn
    const exited = child.exited
      .then(async ({ code, signal }) => {
        await this.exitPacer.turn();
        this.recordOwnedExit(unit, pid, exitCodeOf(code, signal));
      });
    this.owned.set(unit, { pid, exited });
    this.adopted.forget(unit);
    this.sampler.forget(unit);
    this.emit({ type: 'start', unit });
    return unitRuntimeOf(state, true);
  }

  private recordOwnedExit(unit: string, pid: number, exitCode: number | undefined): void {
    const cg = this.cgroups;
    const updated = this.files.update(unit, pid, (s) => {
      // fresh cgroups per launch: any OOM kill counted there happened to this process or its children
      const oomKilled = s.cgroups && cg !== undefined ? (cg.usage(unit).oomKills ?? 0) > 0 : false;
      const next: UnitStateFile = { ...s, finishedAt: new Date().toISOString(), oomKilled };
      if (exitCode !== undefined) next.exitCode = exitCode;
      return next;
    });
    if (this.owned.get(unit)?.pid === pid) this.owned.delete(unit);
    if (updated?.oomKilled) this.emit({ type: 'oom', unit });
    this.emit(exitCode === undefined ? { type: 'die', unit } : { type: 'die', unit, exitCode });
  }

  /** Runtime of a unit as /proc shows it now; notes adopted processes and deaths nobody recorded yet. */
  private observe(unit: string, state: UnitStateFile): UnitRuntime {
    const alive = this.isRunning(state);
    const ownChild = this.owned.get(unit)?.pid === state.pid;
    if (alive && !ownChild) this.adopted.track(unit, state.pid, state.procStartTicks);
    if (!alive && !ownChild) state = this.noticeGone(unit, state) ?? state;
    return unitRuntimeOf(state, alive);
  }

  /**
   * A process this driver is not the parent of has ended: record when (its exit status is lost unless its
   * parent, e.g. a driver in the same agent process, wrote it) and report `die` if it was seen running.
   */
  private noticeGone(unit: string, state: UnitStateFile): UnitStateFile | undefined {
    const updated = state.finishedAt
      ? state
      : this.files.update(unit, state.pid, (s) => (s.finishedAt ? s : { ...s, finishedAt: new Date().toISOString() }));
    if (this.adopted.untrack(unit, state.pid)) {
      const exitCode = updated?.exitCode;
      this.emit(exitCode === undefined ? { type: 'die', unit } : { type: 'die', unit, exitCode });
    }
    return updated;
  }

  /**
   * SIGTERM to the unit's process group, SIGKILL after the grace period; resolves when the process is gone: true when
   * it had to be killed after a grace (not with none: a removal).
   */
  private async stopProcess(unit: string, state: UnitStateFile, graceSeconds: number): Promise<boolean> {
    if (!this.isRunning(state)) return false;
    const ownChild = this.owned.get(unit);
    const own = ownChild?.pid === state.pid ? ownChild : undefined;
    if (!own) this.adopted.track(unit, state.pid, state.procStartTicks);
    const gone = (ms: number) => waitUntilGone(() => this.isRunning(state), own?.exited, ms);

    signalUnitProcesses(this.proc, state.pid, 'SIGTERM');
    let killed = false;
    if (!(await gone(Math.max(0, graceSeconds) * 1000))) {
      killed = graceSeconds > 0;
      this.log.info(`${unit}: pid ${state.pid} still running after ${graceSeconds}s grace: SIGKILL`);
      signalUnitProcesses(this.proc, state.pid, 'SIGKILL');
      if (!(await gone(KILL_WAIT_MS))) throw new Error(`${unit}: pid ${state.pid} survived SIGKILL`);
    }
    // processes the unit forked die with it, as in a container
    const cg = state.cgroups ? this.cgroupManager() : undefined;
    if (cg) await cg.killAll(unit);
    else signalUnitProcesses(this.proc, state.pid, 'SIGKILL', { groupOnly: true });
    if (!own) {
      const latest = this.files.read(unit);
      if (latest && latest.pid === state.pid) this.noticeGone(unit, latest);
    }
    return killed;
  }

  private emit(e: DriverEvent): void {
    this.emitter.emit('event', e);
  }
}
