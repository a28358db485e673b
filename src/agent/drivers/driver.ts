/**
 * A driver runs unit instances on one host. The agent's reconciler decides what should run; a driver
 * only does what it is told and reports what it sees. Drivers: `docker` (dockerd through its Engine API)
 * and `process` (a command in its own cgroup v1, for hosts without Docker).
 *
 * Everything a driver creates carries the unit's identity (labels for Docker, a state file for
 * processes) so that a restarted agent adopts what is already running instead of duplicating it.
 */
import type { Readable } from 'node:stream';
import { withoutDigest } from '../../core/image-ref.js';
import type { RegistryLogin } from '../../core/registry-auth.js';

export interface PortMapping {
  container: number;
  /** fixed host port; when absent the driver picks a free one */
  host?: number;
  protocol?: 'tcp' | 'udp';
}

export interface VolumeMount {
  hostPath: string;
  containerPath: string;
  readOnly?: boolean;
}

/** What to run: one instance of one version of one service. */
export interface UnitSpec {
  /** `<service>-<version>-<instance>`, e.g. `demo-api-3-1` */
  unit: string;
  service: string;
  version: number;
  instance: number;
  /** image reference (docker) or the program to execute (process driver: command[0]) */
  image: string;
  command?: string[];
  ports: PortMapping[];
  env: Record<string, string>;
  volumes: VolumeMount[];
  /** CPU limit in cores (0.5 = half a core) */
  cpus?: number;
  memoryMb?: number;
}

export type RuntimeState = 'created' | 'running' | 'exited' | 'dead' | 'unknown';

/** What the driver sees of one unit instance. */
export interface UnitRuntime {
  unit: string;
  /** container id or process id as a string */
  id: string;
  state: RuntimeState;
  exitCode?: number;
  oomKilled?: boolean;
  startedAt?: string;
  finishedAt?: string;
  /**
   * a process of the running instance, in its network namespace, as this host's /proc numbers it (Docker:
   * State.Pid; process driver: the child). Health probes read /proc/<pid>/net/tcp through it to see whether
   * the app itself listens, which a connect to a published port cannot tell behind Docker's userland proxy.
   */
  pid?: number;
  /** the instance shares the host's network namespace and listens on its host ports itself (process driver) */
  hostNetwork?: boolean;
  /** the host ports actually bound, after the driver picked any free ones */
  ports: Array<{ container: number; host: number; protocol: 'tcp' | 'udp' }>;
  /** the image reference the instance was created from */
  image: string;
  /** identity labels read back from the instance (service, version, instance) */
  service: string;
  version: number;
  instance: number;
}

export interface PullProgress {
  /** a human-readable line, e.g. "Downloading 3.2 MB / 10.1 MB" */
  status: string;
  /** bytes done / total when the driver knows them */
  current?: number;
  total?: number;
}

export interface UnitStats {
  unit: string;
  /** fraction of one core, e.g. 0.25 */
  cpu: number;
  memoryBytes: number;
  memoryLimitBytes?: number;
  networkRxBytes: number;
  networkTxBytes: number;
  at: string;
}

export interface LogOptions {
  follow?: boolean;
  /** number of last lines, default all */
  tail?: number;
  /** unix seconds */
  since?: number;
  timestamps?: boolean;
}

/** An image on the host: its id, size and every reference to it (`repo:tag`, `repo@sha256:…`). */
export interface HostImage {
  id: string;
  refs: string[];
  size: number;
}

export interface DriverEvent {
  type: 'start' | 'die' | 'oom' | 'destroy';
  unit: string;
  exitCode?: number;
}

/** How a stop went. */
export interface StopResult {
  /** it was still running when its grace after SIGTERM ran out, and was killed (SIGKILL) */
  killed: boolean;
}

export interface Driver {
  readonly name: 'docker' | 'process';
  /**
   * throws DriverError('IMAGE_NOT_FOUND' | 'REGISTRY_UNREACHABLE' | 'REGISTRY_AUTH' | ...) with a clear message;
   * `login`: the credentials of the image's registry, when Paz has some (drivers without images ignore it)
   */
  pull(image: string, onProgress?: (p: PullProgress) => void, signal?: AbortSignal, login?: RegistryLogin): Promise<void>;
  /** resolves when the runtime answers (dockerd); throws saying why not. Absent: nothing to ask (process) */
  ping?(): Promise<void>;
  /** true when the image is already on the host */
  hasImage(image: string): Promise<boolean>;
  /**
   * The registry digest (`sha256:…`) of an image on the host, from what its pull recorded (RepoDigests);
   * undefined for an image never pulled from a registry. Absent on drivers without images (process).
   */
  imageDigest?(image: string): Promise<string | undefined>;
  /** The images on the host, each with its references (tags and registry digests). Absent: no images (process). */
  images?(): Promise<HostImage[]>;
  /**
   * Removes one reference of an image (`docker rmi REF`, never forced): the image goes with its last reference,
   * unless a container, running or stopped, uses it ('in-use': nothing removed). 'absent': it was already gone.
   */
  removeImageRef?(ref: string): Promise<'removed' | 'in-use' | 'absent'>;
  /**
   * creates and starts the instance; an existing stopped instance of the same unit is replaced, one
   * already running the same image is returned as it is (starting twice is harmless)
   */
  start(spec: UnitSpec): Promise<UnitRuntime>;
  /** starts an existing stopped instance again (used for restarts, keeps its id) */
  restart(unit: string): Promise<UnitRuntime>;
  /** SIGTERM, then SIGKILL after graceSeconds; resolves when it has stopped, saying how; no-op if not running */
  stop(unit: string, graceSeconds: number): Promise<StopResult>;
  /** removes a stopped instance (one still running is killed first); no-op if absent */
  remove(unit: string): Promise<void>;
  inspect(unit: string): Promise<UnitRuntime | undefined>;
  /** every instance this driver manages on the host, running or not (for adoption after a restart) */
  list(): Promise<UnitRuntime[]>;
  /**
   * stdout and stderr merged, as an object-mode Readable of strings: one line per chunk, without its
   * line end. Ends when the instance stops (follow) or after the last line (no follow); destroy it to
   * stop following. Throws DriverError('NOT_FOUND') for an unknown unit.
   */
  logs(unit: string, opts: LogOptions): Promise<Readable>;
  /**
   * Runs `command` inside the running instance of `unit`, with its environment, working directory and user
   * (Docker: `docker exec`), giving each line of its output to `onLine` as it comes (a promise it returns holds
   * the output back until it settles: a slow reader slows the command's output, not the agent's memory); resolves with its exit code
   * (127: no such program; 128 + N: ended by signal N). Aborting `signal` kills it, and so does the instance
   * stopping (Docker: its processes die with the container; process driver: killed with the unit). Throws
   * DriverError('NOT_FOUND') when the unit does not run. Absent: the driver cannot (bench's instant driver).
   */
  exec?(unit: string, command: string[], onLine: (line: { stream: 'stdout' | 'stderr'; text: string }) => void | Promise<void>, signal: AbortSignal): Promise<number>;
  /** one sample (CPU averaged over about a second); undefined when the unit is absent or not running */
  stats(unit: string): Promise<UnitStats | undefined>;
  /** live lifecycle events; returns a function that unsubscribes */
  events(listener: (e: DriverEvent) => void): Promise<() => void>;
  close(): Promise<void>;
}

export type DriverErrorCode =
  | 'IMAGE_NOT_FOUND'
  | 'REGISTRY_UNREACHABLE'
  /** the registry refused the pull: no credentials, or ones it does not accept */
  | 'REGISTRY_AUTH'
  | 'PULL_FAILED'
  | 'PORT_IN_USE'
  | 'START_FAILED'
  | 'NOT_FOUND'
  | 'DAEMON_UNREACHABLE'
  /** a host volume this host refuses to mount (agent/volume-guard.ts) */
  | 'VOLUME_REFUSED';

export class DriverError extends Error {
  constructor(readonly code: DriverErrorCode, message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'DriverError';
  }
}

/**
 * What a driver's `pull`/`hasImage` take for a unit: the image for Docker; for the process driver the
 * program, which is `command[0]` when a command is given (the image is then only informational).
 */
export function artifactOf(driver: Driver['name'], spec: Pick<UnitSpec, 'image' | 'command'>): string {
  if (driver === 'docker') return spec.image;
  // a process unit's "image" is a program: a digest pinned at deploy time means nothing to it
  return spec.command && spec.command.length > 0 ? spec.command[0] : withoutDigest(spec.image);
}
