/**
 * Pure translations between Paz's driver types and the Docker Engine API (v1.41, Docker 20.10):
 * unit spec -> container create options, container inspect -> UnitRuntime, stats -> UnitStats,
 * event -> DriverEvent, pull progress message -> PullProgress. No I/O; unit tests beside this file.
 */
import type Dockerode from 'dockerode';
import type { DriverEvent, PullProgress, RuntimeState, UnitRuntime, UnitSpec, UnitStats } from '../driver.js';

/** Labels that carry a unit's identity on its container, so a restarted agent can adopt it. */
export const LABELS = {
  managed: 'paz.managed',
  unit: 'paz.unit',
  service: 'paz.service',
  version: 'paz.version',
  instance: 'paz.instance',
} as const;

/** the label filter selecting every container Paz manages */
export const MANAGED_FILTER = `${LABELS.managed}=true`;

export interface CreateOptionsSettings {
  /**
   * host address published ports bind to: the agent passes its --address, so a port is reachable where the
   * host is advertised and not on every address past the router. Absent or '': all addresses (Docker's default).
   */
  bindAddress?: string;
  /** json-file log rotation: size of one file (e.g. "10m") and how many files to keep */
  logMaxSize?: string;
  logMaxFiles?: number;
}

const MB = 1024 * 1024;

/**
 * Capabilities of Docker's default set that a service has no business with: raw sockets (spoofing, ARP
 * tricks on the bridge) and making device nodes.
 */
export const DROPPED_CAPABILITIES = ['NET_RAW', 'MKNOD'] as const;

export function portKey(container: number, protocol: 'tcp' | 'udp' = 'tcp'): string {
  return `${container}/${protocol}`;
}

/** the `docker create` body for one unit instance (the container name is the unit name) */
export function toCreateOptions(spec: UnitSpec, settings: CreateOptionsSettings = {}): Dockerode.ContainerCreateOptions {
  const exposedPorts: Record<string, object> = {};
  const portBindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const p of spec.ports) {
    const key = portKey(p.container, p.protocol);
    exposedPorts[key] = {};
    // HostPort '' lets Docker pick a free port; inspect tells which one it chose
    (portBindings[key] ??= []).push({ HostIp: settings.bindAddress ?? '', HostPort: p.host ? String(p.host) : '' });
  }
  const hostConfig: Dockerode.HostConfig = {
    // docker-init as PID 1: signals reach the program and zombies are reaped, whatever the image runs
    Init: true,
    PortBindings: portBindings,
    Binds: spec.volumes.map((v) => `${v.hostPath}:${v.containerPath}${v.readOnly ? ':ro' : ''}`),
    // no Docker restart policy: the agent restarts crashed units itself, and counts the restarts
    RestartPolicy: { Name: 'no' },
    // never privileged, whatever a spec says (the service schema has no such field either); setuid programs in
    // the image cannot gain privileges, and Docker's default capabilities lose the dangerous ones
    Privileged: false,
    SecurityOpt: ['no-new-privileges'],
    CapDrop: [...DROPPED_CAPABILITIES],
    LogConfig: {
      Type: 'json-file',
      Config: { 'max-size': settings.logMaxSize ?? '10m', 'max-file': String(settings.logMaxFiles ?? 3) },
    },
  };
  if (spec.memoryMb !== undefined) {
    hostConfig.Memory = Math.round(spec.memoryMb * MB);
    // memory + swap = memory: the limit is a real limit, not a hint to start swapping
    hostConfig.MemorySwap = hostConfig.Memory;
  }
  if (spec.cpus !== undefined) hostConfig.NanoCpus = Math.round(spec.cpus * 1e9);

  return {
    name: spec.unit,
    Image: spec.image,
    ...(spec.command && spec.command.length > 0 ? { Cmd: spec.command } : {}),
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    Labels: {
      [LABELS.managed]: 'true',
      [LABELS.unit]: spec.unit,
      [LABELS.service]: spec.service,
      [LABELS.version]: String(spec.version),
      [LABELS.instance]: String(spec.instance),
    },
    ExposedPorts: exposedPorts,
    HostConfig: hostConfig,
  };
}

export function isManaged(labels: Record<string, string> | null | undefined): boolean {
  return labels?.[LABELS.managed] === 'true';
}

const DOCKER_STATES: Record<string, RuntimeState> = {
  created: 'created',
  running: 'running',
  restarting: 'running',
  exited: 'exited',
  dead: 'dead',
  removing: 'dead',
};

/** Docker's zero time ("0001-01-01T00:00:00Z") means "never" */
function timeOrUndefined(t: string | undefined): string | undefined {
  return t && !t.startsWith('0001-01-01') ? t : undefined;
}

type PortBindings = Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | null | undefined;

/**
 * Published ports. Running containers: the ports actually bound (NetworkSettings.Ports). Stopped ones
 * have none bound, so the configured fixed ports are reported and ports Docker would pick are omitted.
 * IPv4 and IPv6 bindings of one port count once.
 */
export function publishedPorts(running: PortBindings, configured: PortBindings): UnitRuntime['ports'] {
  const source = running && Object.keys(running).length > 0 ? running : configured;
  const out: UnitRuntime['ports'] = [];
  for (const [key, bindings] of Object.entries(source ?? {})) {
    const [portText, proto] = key.split('/');
    const container = Number(portText);
    const host = (bindings ?? []).map((b) => Number(b.HostPort)).find((n) => Number.isInteger(n) && n > 0);
    if (host !== undefined && Number.isInteger(container)) {
      out.push({ container, host, protocol: proto === 'udp' ? 'udp' : 'tcp' });
    }
  }
  return out.sort((a, b) => a.container - b.container || a.protocol.localeCompare(b.protocol));
}

function labelNumber(labels: Record<string, string>, key: string): number {
  const n = Number(labels[key]);
  return Number.isFinite(n) ? n : 0;
}

/** docker inspect -> what the agent needs to know about a unit instance */
export function toUnitRuntime(info: Dockerode.ContainerInspectInfo): UnitRuntime {
  const labels = info.Config?.Labels ?? {};
  const state: RuntimeState = DOCKER_STATES[info.State?.Status ?? ''] ?? 'unknown';
  const ended = state === 'exited' || state === 'dead';
  const runtime: UnitRuntime = {
    unit: labels[LABELS.unit] ?? info.Name.replace(/^\//, ''),
    id: info.Id,
    state,
    ports: publishedPorts(info.NetworkSettings?.Ports, info.HostConfig?.PortBindings as PortBindings),
    image: info.Config?.Image ?? info.Image,
    service: labels[LABELS.service] ?? '',
    version: labelNumber(labels, LABELS.version),
    instance: labelNumber(labels, LABELS.instance),
  };
  if (state === 'running' && info.State?.Pid) runtime.pid = info.State.Pid;
  if (ended) runtime.exitCode = info.State.ExitCode;
  if (info.State?.OOMKilled) runtime.oomKilled = true;
  const startedAt = timeOrUndefined(info.State?.StartedAt);
  if (startedAt) runtime.startedAt = startedAt;
  const finishedAt = timeOrUndefined(info.State?.FinishedAt);
  if (finishedAt && ended) runtime.finishedAt = finishedAt;
  return runtime;
}

/** the subset of Docker's stats JSON this module reads (cgroup v1 and v2 shapes) */
export interface DockerStats {
  read?: string;
  cpu_stats?: {
    cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null };
    system_cpu_usage?: number;
    online_cpus?: number;
  };
  precpu_stats?: DockerStats['cpu_stats'];
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
}

/**
 * CPU as a fraction of one core over the interval between Docker's two samples, the way `docker stats`
 * computes it (container delta / host delta x number of CPUs), but not multiplied by 100.
 */
export function cpuFraction(stats: DockerStats): number {
  const cur = stats.cpu_stats;
  const pre = stats.precpu_stats;
  const cpuDelta = (cur?.cpu_usage?.total_usage ?? 0) - (pre?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cur?.system_cpu_usage ?? 0) - (pre?.system_cpu_usage ?? 0);
  if (cpuDelta <= 0 || systemDelta <= 0 || !pre?.system_cpu_usage) return 0;
  const cpus = cur?.online_cpus || cur?.cpu_usage?.percpu_usage?.length || 1;
  return (cpuDelta / systemDelta) * cpus;
}

/**
 * Memory in use without the reclaimable page cache, as `docker stats` shows it: cgroup v1 reports
 * total_inactive_file, cgroup v2 inactive_file.
 */
export function memoryInUse(stats: DockerStats): number {
  const usage = stats.memory_stats?.usage ?? 0;
  const s = stats.memory_stats?.stats ?? {};
  const cache = s.total_inactive_file ?? s.inactive_file ?? 0;
  return Math.max(0, usage - (cache < usage ? cache : 0));
}

/** true when Docker answered for a container that is not running (all-zero sample) */
export function isEmptyStats(stats: DockerStats): boolean {
  return !stats.read || stats.read.startsWith('0001-01-01');
}

export function toUnitStats(unit: string, stats: DockerStats, now: Date = new Date()): UnitStats {
  let rx = 0;
  let tx = 0;
  for (const net of Object.values(stats.networks ?? {})) {
    rx += net.rx_bytes ?? 0;
    tx += net.tx_bytes ?? 0;
  }
  const out: UnitStats = {
    unit,
    cpu: cpuFraction(stats),
    memoryBytes: memoryInUse(stats),
    networkRxBytes: rx,
    networkTxBytes: tx,
    at: stats.read && !isEmptyStats(stats) ? new Date(stats.read).toISOString() : now.toISOString(),
  };
  if (stats.memory_stats?.limit) out.memoryLimitBytes = stats.memory_stats.limit;
  return out;
}

/** the part of a Docker event message this module reads */
export interface DockerEventMessage {
  Type?: string;
  Action?: string;
  id?: string;
  time?: number;
  timeNano?: number;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

const EVENT_ACTIONS = new Set(['start', 'die', 'oom', 'destroy']);

/** the Docker event actions the driver subscribes to */
export const WATCHED_ACTIONS = [...EVENT_ACTIONS];

/** a container event of a Paz unit -> DriverEvent; undefined for anything else */
export function toDriverEvent(msg: DockerEventMessage): DriverEvent | undefined {
  if (msg.Type !== 'container' || !msg.Action || !EVENT_ACTIONS.has(msg.Action)) return undefined;
  const attrs = msg.Actor?.Attributes ?? {};
  if (attrs[LABELS.managed] !== 'true') return undefined;
  const unit = attrs[LABELS.unit] ?? attrs.name;
  if (!unit) return undefined;
  const event: DriverEvent = { type: msg.Action as DriverEvent['type'], unit };
  if (msg.Action === 'die' && attrs.exitCode !== undefined && Number.isFinite(Number(attrs.exitCode))) {
    event.exitCode = Number(attrs.exitCode);
  }
  return event;
}

/** identity of an event, to drop duplicates when the stream is re-subscribed with `since` */
export function eventKey(msg: DockerEventMessage): string {
  return `${msg.timeNano ?? msg.time ?? ''}|${msg.Actor?.ID ?? msg.id ?? ''}|${msg.Action ?? ''}`;
}

/** one message of Docker's pull progress stream */
export interface DockerPullMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

/** the failure a pull stream reported, if this message is one */
export function pullError(msg: DockerPullMessage): string | undefined {
  return msg.errorDetail?.message ?? msg.error;
}

/** e.g. "96c49bdddc55: Downloading [=====>   ] 1.2MB/2MB" */
export function toPullProgress(msg: DockerPullMessage): PullProgress {
  const parts = [msg.id ? `${msg.id}: ` : '', msg.status ?? '', msg.progress ? ` ${msg.progress}` : ''];
  const progress: PullProgress = { status: parts.join('') };
  const d = msg.progressDetail;
  if (d && typeof d.current === 'number') progress.current = d.current;
  if (d && typeof d.total === 'number' && d.total > 0) progress.total = d.total;
  return progress;
}
