/**
 * The records the control plane and agents keep in the store (their keys are in keys.ts). Plain data.
 */
import type { Port, ServiceConfig, HealthCheck } from './service-spec.js';
import { ROLLOUT_DEFAULTS } from './rollout-defaults.js';
import type { SealedSecret } from './secret-env.js';

export type DeploySource = 'hook' | 'dockerhub' | 'registry' | 'api' | 'rollback' | 'restart' | 'cli';

export interface DeployTrigger {
  source: DeploySource;
  /** the pushed tag, when a registry push or a hook named one */
  tag?: string;
  pushedAt?: number;
  /** for rollbacks: the version whose snapshot was deployed again */
  rollbackOf?: number;
  /** for restarts: the serving version whose snapshot (and digest) was started afresh */
  restartOf?: number;
  /** who asked: the API token's name ("anonymous" with --no-auth); copied to the journal entry */
  actor?: string;
}

/** One deployed version: the full snapshot of the service as it was deployed. Never changed afterwards. */
export interface DeployRecord {
  service: string;
  version: number;
  timestamp: number;
  /** the image reference as deployed (tag included) */
  image: string;
  /**
   * 'sha256:…' the version is pinned to: its instances run `<name>@<digest>`, so a rollback, restart or
   * replacement runs these bytes even after the tag moved. Absent when the registry could not be asked at
   * deploy time (then it is recorded at first pull, see VersionDigests) and for the process driver (no images).
   */
  digest?: string;
  description: string;
  dockerRepository: string;
  config: ServiceConfig;
  trigger: DeployTrigger;
}

/** Every kind of journal entry: the deploy events, then the changes recorded for the audit trail (issue 9). */
export const JOURNAL_EVENTS = [
  'deploy',
  'deploy-succeeded',
  'deploy-failed',
  'rollback',
  'scale',
  'service-deleted',
  'service-created',
  'config-changed',
  'token-created',
  'token-revoked',
  'registry-login-set',
  'registry-login-removed',
  'webhook-secret-rotated',
  'host-drained',
  'host-undrained',
  'host-fenced',
  'unit-killed',
  'exec',
  'unit-restart',
] as const;

export type JournalEvent = (typeof JOURNAL_EVENTS)[number];

/** Changes recorded for the audit trail (issue 9) beside the deploy events. */
export type AuditEvent = Exclude<JournalEvent, 'deploy' | 'deploy-succeeded' | 'deploy-failed' | 'rollback' | 'scale' | 'service-deleted' | 'unit-killed'>;

export interface JournalEntry {
  event: JournalEvent;
  /** '' for events of no service (tokens) */
  serviceName: string;
  version: number;
  timestamp: number;
  message?: string;
  /** who made the change: the API token's name, "anonymous" with --no-auth; absent for Paz's own (deploy outcomes) */
  actor?: string;
  /** token events: the token's name */
  token?: string;
  /** registry credential events: the registry host */
  registry?: string;
}

/** What an instance runs: derived from a deploy record, fixed for the unit's life. */
export interface UnitRunSpec {
  image: string;
  ports: Port[];
  env: Record<string, string>;
  /** env values marked secret, still sealed: only the agent opens them, right before the unit starts */
  secretEnv?: Record<string, SealedSecret>;
  volumes: Array<{ hostPath: string; containerPath: string }>;
  command?: string[];
  cpus?: number;
  memoryMb?: number;
  healthCheck?: HealthCheck;
  stopGraceSeconds: number;
}

export interface DesiredUnit {
  unit: string;
  service: string;
  version: number;
  instance: number;
  /** host id, or null while not placed */
  host: string | null;
  spec: UnitRunSpec;
  /** placement constraints copied from the config at deploy time */
  conflictsWith?: string;
  mustShareWith?: string;
  /** routing flags copied from the config at deploy time (route-plan.ts); absent on older units: routed, public */
  publicFacing?: boolean;
  loadBalanced?: boolean;
  createdAt: number;
  placedAt?: number;
  /** not to be placed yet: a rolling deploy releases units a few at a time (rollout.maxSurge) */
  hold?: boolean;
  /**
   * when a held unit was released, or placed again after its host was lost: a deploy's healthy deadline counts
   * from here, else from createdAt
   */
  releasedAt?: number;
  /** being retired: routers send it no new connections; it is deleted once the drain time is over */
  drainingSince?: number;
  /** why the unit is not placed yet, for humans */
  reason?: string;
  /**
   * a replacement: the unit it takes over from (retired once this one is healthy), which was on a drained host
   * or asked to restart (`paz restart NAME --unit U`)
   */
  replaces?: string;
  /**
   * the config's rollout.minHealthySeconds and rollout.healthyDeadlineSeconds, copied at deploy time when set
   * (absent: the defaults): how long a replacement (a drain's move, a restart) must stay healthy before the old
   * unit is retired, and how long it has to get there before the move is called stuck
   */
  minHealthySeconds?: number;
  healthyDeadlineSeconds?: number;
}

export type UnitState =
  | 'pending'
  | 'pulling'
  | 'starting'
  | 'running'
  | 'healthy'
  | 'unhealthy'
  | 'exited'
  | 'failed'
  | 'stopping'
  | 'stopped';

/**
 * The states in which a unit's process runs or is being started: an exit seen in one of them is a crash to act on
 * (the agent), and a new start in one of them is where a followed log goes on (`paz logs -f`).
 */
export const PROCESS_UP_STATES: ReadonlySet<UnitState> = new Set<UnitState>(['starting', 'running', 'healthy', 'unhealthy']);

/** What the agent of the unit's host reports. */
export interface UnitStatus {
  unit: string;
  host: string;
  state: UnitState;
  healthy: boolean;
  restarts: number;
  image: string;
  containerId?: string;
  /** ip:port the unit is reachable at (host address + published port of the first port) */
  endpoint?: string;
  ports?: Array<{ container: number; host: number; protocol: 'tcp' | 'udp' }>;
  exitCode?: number;
  reason?: string;
  startedAt?: number;
  /** ms; set when the agent's probe first passes, removed when the unit is not healthy */
  healthySince?: number;
  /** the last probe, for humans: when, whether it passed, and why not */
  lastProbe?: { at: number; ok: boolean; error?: string };
  /**
   * ms; when the unit last stopped being healthy (a failed probe, an exit), kept through its restarts until
   * it is healthy again; absent while healthy and for a unit that never was (then its start counts)
   */
  unhealthySince?: number;
  /** the last lines (at most 10, each cut to a bounded length) of the unit's output when it exited or failed */
  lastOutput?: string[];
  /**
   * the agent's last restart of the unit, when and why (an exit, an OOM kill, a failing health check); kept once
   * it is healthy again, so that a unit with restarts says why after its reason is gone (kubectl's "last state")
   */
  lastRestart?: { at: number; why: string };
  updatedAt: number;
}

export interface HostRecord {
  id: string;
  hostname: string;
  /** the address instances on this host are reached at (Paz's PublicIP) */
  ip: string;
  labels: Record<string, string>;
  cpus: number;
  memoryBytes: number;
  diskBytes?: number;
  /** Paz version of the agent */
  version: string;
  /** base URL of the agent's HTTP API (logs, stats) */
  agentUrl: string;
  driver: 'docker' | 'process';
  /** the port this host's router listens on; a unit asking for this host port is served through the router */
  routerPort?: number;
  /** host ports Paz itself listens on there (agent API, control plane): never handed to units */
  reservedPorts?: number[];
  startedAt: number;
  heartbeatAt: number;
  /** the agent's lease TTL: its record (and its units' statuses) vanish this long after its last refresh; absent: 10 */
  heartbeatTtlSeconds?: number;
  /** what the agent found wrong on the host at its last heartbeat (health-levels.ts); absent or empty: nothing */
  problems?: HostProblem[];
}

/** Something wrong on a host that its agent can see: its driver (dockerd) not answering, its router down. */
export interface HostProblem {
  /**
   * address: the host name given as --address resolves elsewhere now; leftover: a retired unit's instance the
   * driver keeps refusing to remove
   */
  component: 'driver' | 'router' | 'address' | 'leftover';
  message: string;
  /** ms; when the agent first saw it */
  since: number;
}

/**
 * A host as last seen, kept without a lease (`/paz/known-hosts/<id>`) so that a host whose agent stopped
 * or died is still known, and since when. Rewritten at each heartbeat; `stoppedAt` set by a clean stop.
 */
export interface KnownHost {
  id: string;
  hostname: string;
  ip: string;
  agentUrl: string;
  driver: HostRecord['driver'];
  startedAt: number;
  /** ms; the agent's last heartbeat */
  lastSeenAt: number;
  /** ms; set when the agent stopped cleanly (`paz down`, SIGTERM) */
  stoppedAt?: number;
}

/**
 * A drained host (`paz host drain`): no new units go there and its units move to other hosts. Kept without a
 * lease, so it outlives the agent's restarts; deleted by `paz host undrain`.
 */
export interface HostDrainRecord {
  host: string;
  /** ms; when the drain was asked for */
  since: number;
  /** who asked: the API token's name */
  actor: string;
}

/** A unit asked to restart (`paz restart NAME --unit U`): the host-drain loop replaces it, then retires it. */
export interface UnitRestartRecord {
  unit: string;
  service: string;
  /** ms; when the restart was asked for */
  since: number;
  /** who asked: the API token's name */
  actor: string;
}

export const DEFAULT_STOP_GRACE_SECONDS = ROLLOUT_DEFAULTS.stopGraceSeconds;

/** The env every instance gets in addition to its service's env. */
export function instanceEnv(service: string, version: number, instance: number): Record<string, string> {
  return { PAZ_SERVICE: service, PAZ_VERSION: String(version), PAZ_INSTANCE: String(instance) };
}
