/**
 * The docker driver: runs unit instances as containers of the host's dockerd, through its Engine API
 * (engine-client.ts).
 *
 * A container is named after its unit (`<service>-<version>-<instance>`) and labelled with the unit's
 * identity (paz.managed, paz.unit, paz.service, paz.version, paz.instance), so list() finds every
 * instance after an agent restart and adopts it. Containers get docker-init as PID 1 and no Docker
 * restart policy: restarts are the agent's decision, so it can count them and back off.
 *
 * Translations to and from the Engine API are pure functions in docker-mapping.ts; error
 * classification is in docker-errors.ts.
 */
import { pipeline, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import { EngineClient, readAll } from './engine-client.js';
import {
  DriverError,
  type Driver,
  type HostImage,
  type DriverEvent,
  type LogOptions,
  type PullProgress,
  type StopResult,
  type UnitRuntime,
  type UnitSpec,
  type UnitStats,
} from '../driver.js';
import { describeWhere, parseDockerHost, type DockerConnection } from './docker-host.js';
import {
  classifyError,
  classifyStartError,
  isConflict,
  isNotFound,
  isNotModified,
} from './docker-errors.js';
import {
  isEmptyStats,
  isManaged,
  MANAGED_FILTER,
  toCreateOptions,
  toUnitRuntime,
  toUnitStats,
  type CreateOptionsSettings,
  type DockerStats,
} from './docker-mapping.js';
import { subscribeToEvents, type EventSubscription } from './event-stream.js';
import { repoDigestFor, withDefaultTag } from '../../../core/image-ref.js';
import { DockerLogDemuxer, DockerLogLines, type LogLine } from './log-lines.js';
import { pullImage } from './pull-image.js';
import { ProcReader } from '../process/proc-reader.js';
import { EXEC_MAX_LINE_CHARS } from '../../../core/exec-command.js';
import type { RegistryLogin } from '../../../core/registry-auth.js';

/** how long an aborted exec's process is looked for (EXEC_KILL_LOOKS × EXEC_KILL_LOOK_MS) before it is taken as never started */
const EXEC_KILL_LOOKS = 50;
const EXEC_KILL_LOOK_MS = 40;

export interface DockerDriverOptions extends CreateOptionsSettings {
  /** DOCKER_HOST-style address; default: the DOCKER_HOST environment variable, else /var/run/docker.sock */
  dockerHost?: string;
  /** bound on a whole pull; default 15 minutes */
  pullTimeoutMs?: number;
  /** bound on silence during a pull (no progress message); default 2 minutes */
  pullIdleTimeoutMs?: number;
  /**
   * bound on each ordinary API call (inspect, create, start, remove, list, stats); a stop gets its grace
   * period on top. Default 2 minutes: a wedged daemon then fails calls instead of hanging the agent.
   */
  requestTimeoutMs?: number;
  /** called when the event stream drops and is being re-established (for logging) */
  onEventStreamError?: (err: unknown) => void;
}

export class DockerDriver implements Driver {
  readonly name = 'docker' as const;
  readonly connection: DockerConnection;
  private readonly docker: EngineClient;
  private readonly proc = new ProcReader();
  private readonly subscriptions = new Set<EventSubscription>();

  constructor(private readonly options: DockerDriverOptions = {}) {
    this.connection = parseDockerHost(options.dockerHost ?? process.env.DOCKER_HOST);
    this.docker = new EngineClient(this.connection);
  }

  /** the deadline of one API call; not used for streams that stay open (pull, follow logs, events) */
  private deadline(extraMs = 0): AbortSignal {
    return AbortSignal.timeout((this.options.requestTimeoutMs ?? 120_000) + extraMs);
  }

  /** the daemon answers; throws DAEMON_UNREACHABLE otherwise */
  async ping(): Promise<void> {
    try {
      await this.docker.ping(this.deadline());
    } catch (err) {
      throw new DriverError('DAEMON_UNREACHABLE', `Docker not reachable at ${describeWhere(this.connection)}: ${(err as Error).message}`, err);
    }
  }

  pull(image: string, onProgress?: (p: PullProgress) => void, signal?: AbortSignal, login?: RegistryLogin): Promise<void> {
    return pullImage(this.docker, image, onProgress, signal, {
      timeoutMs: this.options.pullTimeoutMs,
      idleTimeoutMs: this.options.pullIdleTimeoutMs,
    }, login);
  }

  async hasImage(image: string): Promise<boolean> {
    try {
      await this.docker.inspectImage(withDefaultTag(image));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw classifyError(err, `inspect image ${image}`);
    }
  }

  /** The digest the image's pull recorded for its repository (RepoDigests); undefined for a local-only image. */
  async imageDigest(image: string): Promise<string | undefined> {
    try {
      const info = await this.docker.inspectImage(withDefaultTag(image));
      return repoDigestFor(image, info.RepoDigests ?? []);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw classifyError(err, `inspect image ${image}`);
    }
  }

  async images(): Promise<HostImage[]> {
    try {
      const list = await this.docker.listImages(this.deadline());
      return list.map((i) => ({ id: i.Id, refs: [...(i.RepoTags ?? []), ...(i.RepoDigests ?? [])].filter((r) => !r.startsWith('<none>')), size: i.Size ?? 0 }));
    } catch (err) {
      throw classifyError(err, 'list images');
    }
  }

  async removeImageRef(ref: string): Promise<'removed' | 'in-use' | 'absent'> {
    try {
      await this.docker.removeImage(ref, this.deadline());
      return 'removed';
    } catch (err) {
      if (isNotFound(err)) return 'absent';
      if ((err as { statusCode?: number }).statusCode === 409) return 'in-use';
      throw classifyError(err, `remove image ${ref}`);
    }
  }

  /**
   * Creates and starts the unit's container. A container of the same name is replaced unless it is
   * already running the same image (then it is returned as is: starting a unit twice is harmless).
   * On a failed start the half-made container is removed, so nothing stale is left behind.
   */
  async start(spec: UnitSpec): Promise<UnitRuntime> {
    const existing = await this.inspectRaw(spec.unit);
    if (existing) {
      if (!isManaged(existing.Config?.Labels)) {
        throw new DriverError('START_FAILED', `cannot start ${spec.unit}: a container of that name exists and is not managed by Paz`);
      }
      if (existing.State?.Running && existing.Config?.Image === spec.image) return toUnitRuntime(existing);
      await this.removeContainer(spec.unit);
    }
    let container: { Id: string };
    try {
      container = await this.docker.createContainer(toCreateOptions(spec, this.options), this.deadline());
    } catch (err) {
      throw classifyStartError(err, spec.unit, spec.image);
    }
    try {
      await this.docker.startContainer(container.Id, this.deadline());
    } catch (err) {
      await this.removeContainer(spec.unit).catch(() => {});
      throw classifyStartError(err, spec.unit, spec.image);
    }
    return this.mustInspect(spec.unit);
  }

  async restart(unit: string): Promise<UnitRuntime> {
    try {
      await this.docker.startContainer(unit, this.deadline());
    } catch (err) {
      if (isNotFound(err)) throw new DriverError('NOT_FOUND', `cannot restart ${unit}: no such container`, err);
      // 304: already running, which is what the caller wants
      if (!isNotModified(err)) throw classifyStartError(err, unit, '');
    }
    return this.mustInspect(unit);
  }

  /**
   * docker stop: SIGTERM (the image's STOPSIGNAL), SIGKILL after graceSeconds; resolves once it exited. Killed when
   * it exited with 137 (128 + SIGKILL) not for its memory: an app that exits on SIGTERM exits 143 or with its own code.
   */
  async stop(unit: string, graceSeconds: number): Promise<StopResult> {
    const t = Math.max(0, Math.round(graceSeconds));
    try {
      await this.docker.stopContainer(unit, t, this.deadline(t * 1000));
    } catch (err) {
      if (isNotFound(err) || isNotModified(err)) return { killed: false };
      throw classifyError(err, `stop ${unit}`);
    }
    const state = (await this.inspectRaw(unit).catch(() => undefined))?.State;
    return { killed: t > 0 && state?.ExitCode === 137 && state.OOMKilled !== true };
  }

  /** removes the container (killing it if it still runs) and its anonymous volumes; no-op if absent */
  remove(unit: string): Promise<void> {
    return this.removeContainer(unit);
  }

  async inspect(unit: string): Promise<UnitRuntime | undefined> {
    const info = await this.inspectRaw(unit);
    return info && isManaged(info.Config?.Labels) ? toUnitRuntime(info) : undefined;
  }

  async list(): Promise<UnitRuntime[]> {
    let containers: Dockerode.ContainerInfo[];
    try {
      containers = await this.docker.listContainers({ label: [MANAGED_FILTER] }, this.deadline());
    } catch (err) {
      throw classifyError(err, 'list containers');
    }
    // inspect each: the list entry lacks exit codes, OOM flags and start times
    const infos = await Promise.all(containers.map((c) => this.inspectRaw(c.Id)));
    return infos
      .filter((i): i is Dockerode.ContainerInspectInfo => i !== undefined && isManaged(i.Config?.Labels))
      .map(toUnitRuntime)
      .sort((a, b) => a.unit.localeCompare(b.unit));
  }

  /**
   * Object-mode stream of log lines (strings without line ends), stdout and stderr merged. With
   * follow it stays open until the container stops or the caller destroys it.
   */
  async logs(unit: string, opts: LogOptions): Promise<Readable> {
    const query = {
      stdout: true,
      stderr: true,
      timestamps: opts.timestamps ?? false,
      ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
      ...(opts.since !== undefined ? { since: opts.since } : {}),
    };
    const lines = new DockerLogLines();
    try {
      if (opts.follow) {
        const raw = await this.docker.containerLogs(unit, { ...query, follow: true });
        // destroying `lines` (the consumer is done) closes the HTTP stream to dockerd too
        pipeline(raw, lines, () => {});
      } else {
        const deadline = this.deadline();
        const res = await this.docker.containerLogs(unit, { ...query, follow: false }, deadline);
        lines.end(await readAll(res));
      }
    } catch (err) {
      lines.destroy();
      if (isNotFound(err)) throw new DriverError('NOT_FOUND', `no logs for ${unit}: no such container`, err);
      throw classifyError(err, `logs of ${unit}`);
    }
    return lines;
  }

  async exec(unit: string, command: string[], onLine: (line: LogLine) => void | Promise<void>, signal: AbortSignal): Promise<number> {
    let execId: string;
    try {
      ({ Id: execId } = await this.docker.createExec(unit, { Cmd: command, AttachStdout: true, AttachStderr: true, Tty: false }, this.deadline()));
    } catch (err) {
      if (isNotFound(err) || (err as { statusCode?: number }).statusCode === 409) throw new DriverError('NOT_FOUND', `${unit} does not run: nothing to run ${command[0]} in`, err);
      throw classifyError(err, `exec in ${unit}`);
    }
    // asked to stop while the exec was being created: it is never started
    if (signal.aborted) return 137;
    // Docker has no call to end an exec: aborted, its process is killed by its pid on the host (dockerd's pid
    // namespace is the agent's), and with it what it started (`sh -c 'sleep 30'` leaves its sleep behind). An
    // abort while the start was on its way may come before dockerd has the process running: it is looked for a
    // moment longer, until it runs (killed) or has ended; a start the abort kept from dockerd never runs.
    const kill = () => {
      void (async () => {
        for (let i = 0; i < EXEC_KILL_LOOKS; i++) {
          const e = await this.docker.inspectExec(execId, this.deadline());
          if (e.Running && e.Pid > 0) {
            for (const pid of this.proc.tree(e.Pid)) {
              try {
                process.kill(pid, 'SIGKILL');
              } catch {
                // gone already
              }
            }
            return;
          }
          if (e.ExitCode !== null) return;
          await sleep(EXEC_KILL_LOOK_MS);
        }
      })().catch(() => undefined);
    };
    signal.addEventListener('abort', kill, { once: true });
    try {
      // a process the command leaves in the background holding its output does not hold the answer: dockerd
      // ends the output shortly after the command itself exited (e2e-exec.test)
      const res = await this.docker.startExec(execId, signal);
      const demuxer = new DockerLogDemuxer(EXEC_MAX_LINE_CHARS);
      // a reader that is behind holds the next read back (and dockerd, and the command's writes, with it)
      for await (const chunk of res) for (const line of demuxer.push(chunk as Buffer)) await onLine(line);
      for (const line of demuxer.end()) await onLine(line);
      // the output ends as the process does; its exit code is set a moment later
      for (let i = 0; i < 50; i++) {
        const e = await this.docker.inspectExec(execId, this.deadline());
        if (!e.Running && e.ExitCode !== null) return e.ExitCode;
        await sleep(20);
      }
      throw new DriverError('DAEMON_UNREACHABLE', `exec in ${unit}: dockerd did not say how ${command[0]} ended`);
    } catch (err) {
      // aborted: its output is no longer read, and its process was killed (kill above)
      if (signal.aborted) return 137;
      if (err instanceof DriverError) throw err;
      throw classifyError(err, `exec in ${unit}`);
    } finally {
      signal.removeEventListener('abort', kill);
    }
  }

  /** one sample (Docker takes two, about a second apart, to compute CPU); undefined if not running */
  async stats(unit: string): Promise<UnitStats | undefined> {
    let raw: DockerStats;
    try {
      raw = (await this.docker.containerStats(unit, this.deadline())) as DockerStats;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw classifyError(err, `stats of ${unit}`);
    }
    return isEmptyStats(raw) ? undefined : toUnitStats(unit, raw);
  }

  async events(listener: (e: DriverEvent) => void): Promise<() => void> {
    let subscription: EventSubscription;
    try {
      subscription = await subscribeToEvents(this.docker, listener, this.options.onEventStreamError);
    } catch (err) {
      throw classifyError(err, 'subscribe to Docker events');
    }
    this.subscriptions.add(subscription);
    return () => {
      subscription.stop();
      this.subscriptions.delete(subscription);
    };
  }

  async close(): Promise<void> {
    for (const s of this.subscriptions) s.stop();
    this.subscriptions.clear();
  }

  private async inspectRaw(nameOrId: string): Promise<Dockerode.ContainerInspectInfo | undefined> {
    try {
      return await this.docker.inspectContainer(nameOrId, this.deadline());
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw classifyError(err, `inspect ${nameOrId}`);
    }
  }

  private async mustInspect(unit: string): Promise<UnitRuntime> {
    const info = await this.inspectRaw(unit);
    if (!info) throw new DriverError('NOT_FOUND', `${unit} disappeared right after it was started`);
    return toUnitRuntime(info);
  }

  private async removeContainer(nameOrId: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await this.docker.removeContainer(nameOrId, this.deadline());
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        // 409: a removal is already under way; wait for it to finish
        if (!isConflict(err) || Date.now() > deadline) throw classifyError(err, `remove ${nameOrId}`);
      }
      await sleep(200);
    }
  }
}
