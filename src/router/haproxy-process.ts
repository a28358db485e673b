/**
 * Runs Debian's HAProxy in master-worker mode as our own child process (no daemonising) and keeps it
 * running: the configuration is written to the runtime directory and checked with `haproxy -c` before
 * HAProxy ever sees it, reloads are hitless (the master CLI's `reload` starts new workers on the same
 * listening sockets while old workers finish their requests), a master that dies is started again
 * after a bounded backoff, and `stop()` ends it by PID.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Backoff } from '../core/backoff.js';
import { HaproxyUnavailableError, sendSocketCommand } from './haproxy-socket.js';
import { parseShowProc, type ProcessList } from './parse-runtime-output.js';
import { MAX_SOCKET_PATH } from './render-config.js';
import { findPortHolders } from './port-holders.js';
import { describeHolders, type PortHolder } from './port-holders-parse.js';
import { haproxyLineLevel } from './haproxy-line-level.js';

export const DEFAULT_HAPROXY_BINARY = '/usr/sbin/haproxy';

export interface HaproxyProcessOptions {
  /** directory for haproxy.cfg and the master CLI socket; owned by this process manager */
  runtimeDir: string;
  /**
   * produces the configuration to run, and the files it names (written into runtimeDir before the check);
   * called before every start, restart and reload
   */
  renderConfig: () => string | { config: string; files: Array<{ name: string; text: string }> };
  logger: Logger;
  binary?: string;
  startTimeoutMs?: number;
  reloadTimeoutMs?: number;
  /** how long `stop()` lets workers finish their requests before it kills them */
  stopTimeoutMs?: number;
  /** delay before restarting a master that died: doubles from `initialMs` up to `maxMs` */
  restartBackoff?: { initialMs: number; maxMs: number };
  /** a master that ran this long before dying restarts after the initial delay again */
  stableAfterMs?: number;
  /**
   * where the configuration listens: start() refuses when anything but this runtime dir's own leftover HAProxy
   * listens there (HAProxy's SO_REUSEPORT bind would otherwise succeed and share the port silently)
   */
  listen?: Array<{ address: string; port: number; flag?: string }>;
}

export class RouterPortTakenError extends Error {
  readonly code = 'ROUTER_PORT_TAKEN';
  constructor(
    readonly address: string,
    readonly port: number,
    readonly holders: PortHolder[],
    /** the option that chose the port */
    flag = '--router-port (PAZ_ROUTER_PORT)',
  ) {
    super(
      `the router port ${address}:${port} is already in use by ${describeHolders(holders)}; ` +
        `Paz does not share its router port: stop that process, or choose another ${flag}, or run with --no-router`,
    );
    this.name = 'RouterPortTakenError';
  }
}

export class HaproxyConfigError extends Error {
  readonly code = 'ROUTER_HAPROXY_CONFIG_INVALID';
  constructor(
    readonly output: string,
    readonly rejectedConfigPath: string,
  ) {
    super(`haproxy -c rejected the configuration (kept in ${rejectedConfigPath}): ${output.trim()}`);
    this.name = 'HaproxyConfigError';
  }
}

export class HaproxyStartError extends Error {
  readonly code = 'ROUTER_HAPROXY_START_FAILED';
  constructor(message: string, readonly output: string[]) {
    super(`${message}${output.length ? `; HAProxy said: ${output.slice(-10).join(' | ')}` : ''}`);
    this.name = 'HaproxyStartError';
  }
}

export class HaproxyReloadError extends Error {
  readonly code = 'ROUTER_HAPROXY_RELOAD_FAILED';
  constructor(message: string, readonly output: string[]) {
    super(`${message}${output.length ? `; HAProxy said: ${output.slice(-10).join(' | ')}` : ''}`);
    this.name = 'HaproxyReloadError';
  }
}

/**
 * While the master starts or re-executes, a connection to its CLI can be accepted and then never
 * answered; polls therefore give up on one attempt quickly and try again.
 */
const POLL_COMMAND_TIMEOUT_MS = 1_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Events: `restarted` (ProcessList) after a master that died runs again; `exit` ({code, signal}) when the master ends unexpectedly. */
export class HaproxyProcess extends EventEmitter {
  readonly configPath: string;
  readonly masterSocketPath: string;
  private readonly binary: string;
  private readonly log: Logger;
  private child: ChildProcess | undefined;
  private childExited: Promise<void> = Promise.resolve();
  private startedAt = 0;
  /** true from a successful start until the master exits: only such an exit is restarted */
  private serving = false;
  private stopping = false;
  private pendingRestart: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  private restarting: Promise<void> | undefined;
  private readonly restartBackoff: Backoff;
  private knownWorkers = new Set<number>();
  /** side files (renderConfig's `files`) written and not yet removed: the installed config's (and a candidate's while it is checked) */
  private writtenFiles = new Set<string>();
  /** the side files the installed configuration (haproxy.cfg, what the master runs and restarts on) names */
  private installedFiles = new Set<string>();
  /** the last lines HAProxy printed, for error messages */
  private readonly recentOutput: string[] = [];

  constructor(private readonly options: HaproxyProcessOptions) {
    super();
    this.binary = options.binary ?? DEFAULT_HAPROXY_BINARY;
    this.configPath = join(options.runtimeDir, 'haproxy.cfg');
    this.masterSocketPath = join(options.runtimeDir, 'master.sock');
    if (this.masterSocketPath.length > MAX_SOCKET_PATH) {
      throw new Error(`runtimeDir ${options.runtimeDir} is too long for a unix socket path (max ${MAX_SOCKET_PATH} characters in total)`);
    }
    this.log = options.logger;
    this.restartBackoff = new Backoff({ initialMs: options.restartBackoff?.initialMs ?? 250, maxMs: options.restartBackoff?.maxMs ?? 10_000 });
  }

  get masterPid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** Renders, checks and installs the configuration; throws HaproxyConfigError and keeps the old file when invalid. */
  async writeConfig(): Promise<void> {
    const candidate = `${this.configPath}.next`;
    const rendered = this.options.renderConfig();
    const { config, files } = typeof rendered === 'string' ? { config: rendered, files: [] } : rendered;
    for (const f of files) {
      if (!/^[A-Za-z0-9_.-]+$/.test(f.name) || f.name.startsWith('haproxy.cfg') || f.name.endsWith('.sock')) throw new Error(`renderConfig: bad file name ${JSON.stringify(f.name)}`);
      await writeFile(join(this.options.runtimeDir, f.name), f.text, { mode: 0o600 });
      this.writtenFiles.add(f.name);
    }
    await writeFile(candidate, config, { mode: 0o600 });
    const result = await new Promise<{ ok: boolean; output: string }>((resolve) => {
      execFile(this.binary, ['-c', '-f', candidate], { timeout: 30_000 }, (error, stdout, stderr) => {
        resolve({ ok: !error, output: `${stdout}${stderr}` });
      });
    });
    if (!result.ok) {
      const rejected = `${this.configPath}.rejected`;
      await rename(candidate, rejected);
      // The rejected config stays to be read; the files only it names go now rather than wait for the next
      // installed config (a router whose tables keep being rejected would otherwise collect one map per
      // attempt). The installed config's files stay: the master reads them again on a restart.
      for (const f of files) {
        if (this.installedFiles.has(f.name)) continue;
        await rm(join(this.options.runtimeDir, f.name), { force: true });
        this.writtenFiles.delete(f.name);
      }
      const alerts = result.output.split('\n').filter((line) => line.includes('[ALERT]'));
      throw new HaproxyConfigError(alerts.length > 0 ? alerts.join('\n') : result.output, rejected);
    }
    await rename(candidate, this.configPath);
    // HAProxy reads them when it parses the config: only the installed config's are needed from now on
    const names = new Set(files.map((f) => f.name));
    this.installedFiles = names;
    for (const name of this.writtenFiles) {
      if (names.has(name)) continue;
      await rm(join(this.options.runtimeDir, name), { force: true });
      this.writtenFiles.delete(name);
    }
  }

  async start(): Promise<ProcessList> {
    if (this.masterPid) throw new Error('HAProxy is already started');
    this.stopping = false;
    await this.reapStale();
    await this.refuseSharedPort();
    await this.writeConfig();
    try {
      return await this.spawnAndWait();
    } catch (error) {
      this.child = undefined;
      throw error;
    }
  }

  /** Master CLI command (`show proc`, `reload`, or `@<pid> <command>` for a worker). */
  masterCommand(command: string, timeoutMs?: number): Promise<string> {
    return sendSocketCommand(this.masterSocketPath, command, timeoutMs);
  }

  async processes(timeoutMs?: number): Promise<ProcessList> {
    return parseShowProc(await this.masterCommand('show proc', timeoutMs));
  }

  /**
   * Installs the current configuration and reloads without dropping connections: new workers take over
   * the listening sockets, old ones finish their requests (bounded by `hard-stop-after`).
   * Resolves once a new worker serves; throws if the new configuration did not load.
   */
  async reload(): Promise<ProcessList> {
    if (this.restarting) await this.restarting.catch(() => undefined);
    if (!this.masterPid) throw new HaproxyReloadError('HAProxy is not running', this.recentOutput);
    await this.writeConfig();
    const before = await this.processes();
    try {
      await this.masterCommand('reload');
    } catch (error) {
      // The master re-executes itself on `reload` and may close the connection before answering.
      if (!(error instanceof HaproxyUnavailableError)) throw error;
    }
    const deadline = Date.now() + (this.options.reloadTimeoutMs ?? 15_000);
    while (Date.now() < deadline) {
      await sleep(50);
      if (!this.masterPid) throw new HaproxyReloadError('HAProxy exited during a reload', this.recentOutput);
      let now: ProcessList;
      try {
        now = await this.processes(POLL_COMMAND_TIMEOUT_MS);
      } catch {
        continue; // the master CLI is briefly away while the master re-executes
      }
      if (now.failedReloads > before.failedReloads) {
        throw new HaproxyReloadError('HAProxy could not load the new configuration; the previous workers keep serving', this.recentOutput);
      }
      const fresh = now.workers.filter((pid) => !before.workers.includes(pid));
      if (now.reloads > before.reloads && fresh.length > 0) {
        this.rememberWorkers(now);
        this.log.info({ workers: now.workers, oldWorkers: now.oldWorkers, reloads: now.reloads }, 'haproxy reloaded');
        return now;
      }
    }
    throw new HaproxyReloadError('no new HAProxy worker within the reload timeout', this.recentOutput);
  }

  /** Stops HAProxy: soft stop (requests in flight finish), then SIGTERM, then SIGKILL, each by PID. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.cancelPendingRestart();
    if (this.restarting) await this.restarting.catch(() => undefined);
    const child = this.child;
    const pid = this.masterPid;
    if (child && pid) {
      const stopTimeoutMs = this.options.stopTimeoutMs ?? 10_000;
      const steps: Array<[NodeJS.Signals, number]> = [
        ['SIGUSR1', stopTimeoutMs],
        ['SIGTERM', 3_000],
        ['SIGKILL', 3_000],
      ];
      for (const [signal, waitMs] of steps) {
        if (!this.masterPid) break;
        this.log.debug({ pid, signal }, 'stopping haproxy');
        try {
          process.kill(pid, signal);
        } catch {
          break; // already gone
        }
        const exited = await Promise.race([this.childExited.then(() => true), sleep(waitMs).then(() => false)]);
        if (exited) break;
      }
    }
    // Workers end with their master; make sure, by the PIDs we saw, that none outlives it.
    for (const workerPid of this.knownWorkers) {
      if (await this.isOurHaproxy(workerPid)) {
        this.log.warn({ pid: workerPid }, 'haproxy worker outlived its master; killing it');
        try {
          process.kill(workerPid, 'SIGKILL');
        } catch {
          /* gone meanwhile */
        }
      }
    }
    this.knownWorkers.clear();
    this.child = undefined;
  }

  /**
   * An HAProxy left running on this runtime dir by a router that died without stopping it (kill -9 of the
   * agent: Node cannot make a child die with it) still holds the port; it is stopped before we start.
   */
  private async reapStale(): Promise<void> {
    const stopped = await stopLeftoverHaproxy(this.configPath);
    if (stopped.length > 0) this.log.warn({ pids: stopped }, 'stopped an HAProxy left running on this runtime dir by an earlier router');
  }

  /** Anything still listening on our address after our own leftovers were stopped belongs to someone else. */
  private async refuseSharedPort(): Promise<void> {
    for (const listen of this.options.listen ?? []) {
      if (listen.port === 0) continue;
      const { holders, unowned } = await findPortHolders(listen.port, listen.address);
      if (holders.length > 0 || unowned > 0) throw new RouterPortTakenError(listen.address, listen.port, holders, listen.flag);
    }
  }

  private isOurHaproxy(pid: number): Promise<boolean> {
    return isHaproxyOf(pid, this.configPath);
  }

  private rememberWorkers(list: ProcessList): void {
    for (const pid of this.knownWorkers) if (!isAlive(pid)) this.knownWorkers.delete(pid);
    for (const pid of [...list.workers, ...list.oldWorkers]) this.knownWorkers.add(pid);
  }

  private recordOutput(line: string): void {
    this.recentOutput.push(line);
    if (this.recentOutput.length > 50) this.recentOutput.shift();
    // HAProxy announces its own orderly shutdown with warnings; while we stop it they are expected.
    this.log[haproxyLineLevel(line, this.stopping)]({ source: 'haproxy' }, line);
  }

  private async spawnAndWait(): Promise<ProcessList> {
    this.recentOutput.length = 0;
    const child = spawn(this.binary, ['-W', '-S', `${this.masterSocketPath},mode,600`, '-f', this.configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.startedAt = Date.now();
    this.childExited = new Promise((resolve) => child.once('exit', () => resolve()));
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.recordOutput(line));
    }
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    child.once('error', (error) => this.recordOutput(`[ALERT] could not run ${this.binary}: ${error.message}`));

    const deadline = Date.now() + (this.options.startTimeoutMs ?? 15_000);
    while (Date.now() < deadline) {
      await sleep(50);
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
        throw new HaproxyStartError(`HAProxy exited while starting (code ${child.exitCode}, signal ${child.signalCode})`, this.recentOutput);
      }
      try {
        const list = await this.processes(POLL_COMMAND_TIMEOUT_MS);
        if (list.workers.length > 0) {
          this.serving = true;
          this.rememberWorkers(list);
          this.log.info({ masterPid: list.masterPid, workers: list.workers }, 'haproxy started');
          return list;
        }
      } catch {
        /* master CLI not up yet */
      }
    }
    if (child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    throw new HaproxyStartError('HAProxy did not start a worker within the start timeout', this.recentOutput);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    const wasServing = this.serving;
    this.serving = false;
    // A failed start is reported by start()/restartNow(), which decide about retrying; not here.
    if (!wasServing || this.stopping) return;
    this.log.error({ code, signal, output: this.recentOutput.slice(-5) }, 'haproxy master exited unexpectedly');
    this.emit('exit', { code, signal });
    const stableAfterMs = this.options.stableAfterMs ?? 30_000;
    if (Date.now() - this.startedAt >= stableAfterMs) this.restartBackoff.reset();
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.stopping) return;
    const delay = this.restartBackoff.next();
    // the exit itself was logged as an error; restarting is the router's own recovery
    this.log.info({ delayMs: delay }, 'restarting haproxy');
    let wake: () => void = () => undefined;
    const waited = new Promise<void>((resolve) => (wake = resolve));
    const timer = setTimeout(wake, delay);
    this.pendingRestart = { timer, wake };
    const restart = waited.then(async () => {
      this.pendingRestart = undefined;
      await this.restartNow();
    });
    this.restarting = restart;
    void restart.finally(() => {
      if (this.restarting === restart) this.restarting = undefined;
    });
  }

  /** Cancels a restart that is still waiting for its backoff delay. */
  private cancelPendingRestart(): void {
    if (!this.pendingRestart) return;
    clearTimeout(this.pendingRestart.timer);
    this.pendingRestart.wake();
    this.pendingRestart = undefined;
  }

  private async restartNow(): Promise<void> {
    if (this.stopping) return;
    try {
      // workers of the dead master may linger a moment; anyone else on the port meanwhile is not shared with
      await this.reapStale();
      await this.refuseSharedPort();
      await this.writeConfig();
      const list = await this.spawnAndWait();
      this.emit('restarted', list);
    } catch (error) {
      this.log.error({ err: error }, 'haproxy restart failed');
      // A start that failed leaves no child running (spawnAndWait killed it or it exited): try again later.
      if (this.masterPid) {
        try {
          process.kill(this.masterPid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      this.child = undefined;
      this.scheduleRestart();
    }
  }
}

/** True while `pid` is an HAProxy running the configuration at `configPath` (its command line names it). */
export async function isHaproxyOf(pid: number, configPath: string): Promise<boolean> {
  if (!isAlive(pid)) return false;
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('haproxy') && cmdline.includes(configPath);
  } catch {
    return false;
  }
}

/**
 * Stops (SIGTERM, SIGKILL after 5 s) every HAProxy running the configuration at `configPath`: a router's
 * leftover after its agent was killed, found from the data dir. Returns the pids it stopped.
 */
export async function stopLeftoverHaproxy(configPath: string): Promise<number[]> {
  let pids: number[] = [];
  try {
    pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
  } catch {
    return [];
  }
  const stale: number[] = [];
  for (const pid of pids) if (pid !== process.pid && (await isHaproxyOf(pid, configPath))) stale.push(pid);
  for (const pid of stale) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  const deadline = Date.now() + 5000;
  while (stale.some(isAlive) && Date.now() < deadline) await sleep(50);
  for (const pid of stale.filter(isAlive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return stale;
}
