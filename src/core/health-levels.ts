/**
 * Health at the three levels the seed promises, cluster, host and service, decided (pure) from plain
 * records: live host records (their lease holds), known hosts (as last seen, kept without a lease), desired
 * units with their reported status, and each service's latest deploy. Each answer says healthy or not, a
 * status, and WHY in human sentences: which hosts are down and since when, which units are unhealthy and
 * since when (with their reason and last probe), whether a deploy is failing or under way.
 *
 * Statuses: 'healthy'; 'degraded' (works, with less than asked: a host down, an instance short, a deploy
 * failed while the version before keeps serving, a deploy under way below its count); 'unhealthy' (does not
 * work: a service with nothing healthy, a host whose agent or driver is gone).
 */
import type { HostDrainView } from './host-drain-view.js';
import { currentStatus } from './unit-view.js';
import type { DesiredUnit, HostProblem, HostRecord, KnownHost, UnitStatus } from './records.js';
import { scaleVersion, type RolloutStatus } from './rollout-policy.js';
import { DEFAULT_HEARTBEAT_TTL_SECONDS } from './heartbeat.js';
import { unitsWhy } from './unit-name.js';

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

/** A down host stays listed this long after it was last seen (like Nomad's node GC), unless forgotten sooner. */
export const DOWN_HOST_LISTED_MS = 24 * 3600_000;

export interface HealthFacts {
  now: number;
  /** live host records */
  hosts: HostRecord[];
  /** every host as last seen (live ones too) */
  knownHosts: KnownHost[];
  /** how long a host may be gone before its units are placed elsewhere (the control plane's --host-loss-grace) */
  hostLossGraceMs: number;
  /** drained hosts (paz host drain) and how their drains go */
  drains?: Map<string, HostDrainView>;
}

export interface ServiceFacts {
  name: string;
  /** 0: never deployed */
  latestVersion: number;
  /** the latest deploy's rollout status; undefined on records written before statuses (counted as succeeded) */
  rollout: RolloutStatus | undefined;
  /** the version that serves (0: none) */
  serving: number;
  /** the service's desired units */
  units: DesiredUnit[];
  /** reported statuses by unit name (may hold other services' too) */
  statuses: Map<string, UnitStatus>;
}

export interface HostHealth {
  id: string;
  hostname: string;
  healthy: boolean;
  status: HealthStatus;
  reasons: string[];
  checkedAt: number;
  /** 'up' while its agent's lease holds; 'down' once its record is gone */
  state: 'up' | 'down';
  /** ms; the agent's last heartbeat */
  heartbeatAt: number;
  heartbeatAgeMs: number;
  heartbeatTtlSeconds: number;
  /** ms; down hosts: when the agent stopped (clean stop) or was last heard of */
  downSince?: number;
  /** down hosts: whether the agent stopped cleanly or its heartbeat was lost */
  downBecause?: 'stopped' | 'heartbeat-lost';
  /** down hosts: when its units are (or were) placed elsewhere (downSince + the host-loss grace) */
  graceEndsAt?: number;
  /** down hosts: still within the host-loss grace (its units wait for it) */
  inGrace?: boolean;
  problems: HostProblem[];
  /** units placed on the host (not draining) and how many of them are healthy */
  units: { placed: number; healthy: number };
  /** set while the host is drained (paz host drain): how the drain goes */
  drain?: HostDrainView;
}

export interface UnitHealth {
  name: string;
  version: number;
  instance: number;
  host: string | null;
  /** the reported state, or 'unplaced' / 'pending' (placed, not reported yet) / 'host-down' */
  state: string;
  healthy: boolean;
  /** ms; healthy units: healthy since; others: unhealthy (or starting) since */
  since?: number;
  reason?: string;
  lastProbe?: UnitStatus['lastProbe'];
  restarts: number;
  /** a unit of the version being deployed, not (yet) asked to be healthy */
  deploying: boolean;
  draining: boolean;
}

export interface DeployHealth {
  version: number;
  state: RolloutStatus['state'];
  reason?: string;
  strategy?: string;
  startedAt?: number;
  finishedAt?: number;
}

export interface ServiceHealth {
  service: string;
  healthy: boolean;
  status: HealthStatus;
  reasons: string[];
  /** one sentence on the whole, healthy or not */
  summary: string;
  checkedAt: number;
  /** the latest deploy; null when never deployed */
  deploy: DeployHealth | null;
  /** the version that serves (0: none) */
  serving: number;
  /** desired: instances asked for (the version scaling acts on); healthy: live instances healthy, any version */
  instances: { desired: number; healthy: number; starting: number; unhealthy: number; draining: number };
  units: UnitHealth[];
}

export interface ClusterHealth {
  healthy: boolean;
  status: HealthStatus;
  reasons: string[];
  summary: string;
  checkedAt: number;
  hosts: HostHealth[];
  services: Array<Omit<ServiceHealth, 'units'>>;
  counts: { hosts: number; hostsUp: number; hostsDown: number; hostsUnhealthy: number; services: number; servicesHealthy: number; servicesDegraded: number; servicesUnhealthy: number };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "12 s", "3 min", "2 h" */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

const at = (ms: number) => new Date(ms).toISOString();
const worst = (a: HealthStatus, b: HealthStatus): HealthStatus => (a === 'unhealthy' || b === 'unhealthy' ? 'unhealthy' : a === 'degraded' || b === 'degraded' ? 'degraded' : 'healthy');

function hostName(id: string, hostname: string | undefined): string {
  return hostname && hostname !== id ? `host ${id} (${hostname})` : `host ${id}`;
}

/** A live host's health: its heartbeat's age against its TTL, and the problems its agent reports. */
export function liveHostHealth(h: HostRecord, units: DesiredUnit[], statuses: Map<string, UnitStatus>, now: number, drain?: HostDrainView): HostHealth {
  const ttl = h.heartbeatTtlSeconds ?? DEFAULT_HEARTBEAT_TTL_SECONDS;
  const age = now - h.heartbeatAt;
  const reasons: string[] = [];
  let status: HealthStatus = 'healthy';
  const name = hostName(h.id, h.hostname);
  // the lease holds (else the record would be gone), yet the agent has not written for a whole TTL: stuck,
  // or its clock is far off; either way it deserves a look
  if (age > ttl * 1000) {
    reasons.push(`${name}: its last heartbeat is ${duration(age)} old (at ${at(h.heartbeatAt)}; the agent heartbeats every few seconds and its lease lasts ${ttl} s)`);
    status = 'degraded';
  }
  for (const p of h.problems ?? []) {
    // an address problem's message names --address itself
    const what = p.component === 'driver' ? `its ${h.driver} driver ` : p.component === 'router' ? 'its router ' : '';
    reasons.push(`${name}: ${what}${p.message} (since ${at(p.since)}, ${duration(now - p.since)})`);
    // without its driver the agent can neither start nor watch instances; without its router, units still run;
    // a leftover instance holds resources (a mount, memory if it still runs) but serves nothing
    status = worst(status, p.component === 'driver' ? 'unhealthy' : 'degraded');
  }
  // draining is the operator's intent, not a fault; a drain that cannot finish deserves a look
  if (drain?.state === 'stuck') {
    reasons.push(`${name}: drained since ${at(drain.since)}, but ${plural(drain.stuck.length, 'unit')} cannot move and ${drain.stuck.length === 1 ? 'keeps' : 'keep'} running here: ${unitsWhy(drain.stuck.map((s) => ({ unit: s.unit, why: `(${s.reason})` })))}`);
    status = worst(status, 'degraded');
  }
  const mine = units.filter((u) => u.host === h.id && u.drainingSince === undefined);
  const healthy = mine.filter((u) => { const s = statuses.get(u.unit); return !!s && s.host === h.id && s.healthy; }).length;
  return {
    id: h.id,
    hostname: h.hostname,
    healthy: status === 'healthy',
    status,
    reasons,
    checkedAt: now,
    state: 'up',
    heartbeatAt: h.heartbeatAt,
    heartbeatAgeMs: Math.max(0, age),
    heartbeatTtlSeconds: ttl,
    problems: h.problems ?? [],
    units: { placed: mine.length, healthy },
    ...(drain ? { drain } : {}),
  };
}

function downHostHealth(k: KnownHost, units: DesiredUnit[], facts: HealthFacts): HostHealth {
  const { now, hostLossGraceMs } = facts;
  const downSince = k.stoppedAt ?? k.lastSeenAt;
  const graceEndsAt = downSince + hostLossGraceMs;
  const inGrace = now < graceEndsAt;
  const waiting = units.filter((u) => u.host === k.id && u.drainingSince === undefined).length;
  const name = hostName(k.id, k.hostname);
  const what = k.stoppedAt !== undefined ? `its agent stopped at ${at(k.stoppedAt)}` : `its heartbeat was lost after ${at(k.lastSeenAt)}`;
  const unitsNote = inGrace
    ? `${waiting ? `its ${plural(waiting, 'unit')} ${waiting === 1 ? 'waits' : 'wait'}` : 'units would wait'} for it until the host-loss grace ends in ${duration(graceEndsAt - now)}`
    : waiting
      ? `past the host-loss grace: its ${plural(waiting, 'unit')} ${waiting === 1 ? 'is' : 'are'} being placed elsewhere`
      : 'past the host-loss grace: its units were placed elsewhere';
  return {
    id: k.id,
    hostname: k.hostname,
    healthy: false,
    status: 'unhealthy',
    reasons: [`${name} is down: ${what} (${duration(now - downSince)} ago); ${unitsNote}`],
    checkedAt: now,
    state: 'down',
    heartbeatAt: k.lastSeenAt,
    heartbeatAgeMs: Math.max(0, now - k.lastSeenAt),
    heartbeatTtlSeconds: DEFAULT_HEARTBEAT_TTL_SECONDS,
    downSince,
    downBecause: k.stoppedAt !== undefined ? 'stopped' : 'heartbeat-lost',
    graceEndsAt,
    inGrace,
    problems: [],
    units: { placed: waiting, healthy: 0 },
  };
}

/**
 * Every host: the live ones, and the known ones whose record is gone (down), unless last seen more than
 * DOWN_HOST_LISTED_MS ago. Sorted by id.
 */
export function hostsHealth(facts: HealthFacts, units: DesiredUnit[], statuses: Map<string, UnitStatus>): HostHealth[] {
  const live = new Map(facts.hosts.map((h) => [h.id, h]));
  const out = facts.hosts.map((h) => liveHostHealth(h, units, statuses, facts.now, facts.drains?.get(h.id)));
  for (const k of facts.knownHosts) {
    if (live.has(k.id)) continue;
    if (facts.now - (k.stoppedAt ?? k.lastSeenAt) > DOWN_HOST_LISTED_MS) continue;
    out.push(downHostHealth(k, units, facts));
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/** One host's health; undefined for a host neither live nor known. */
export function hostHealth(id: string, facts: HealthFacts, units: DesiredUnit[], statuses: Map<string, UnitStatus>): HostHealth | undefined {
  const live = facts.hosts.find((h) => h.id === id);
  if (live) return liveHostHealth(live, units, statuses, facts.now, facts.drains?.get(id));
  const known = facts.knownHosts.find((k) => k.id === id);
  return known ? downHostHealth(known, units, facts) : undefined;
}

function describeProbe(p: UnitStatus['lastProbe']): string {
  if (!p) return '';
  return `; last probe ${p.ok ? 'passed' : `failed${p.error ? ` (${p.error})` : ''}`} at ${at(p.at)}`;
}

/** a unit with, when not healthy, why (a sentence) and whether that is a start under way or a problem */
type Judged = UnitHealth & { why?: string; kind?: 'starting' | 'down' };

function unitHealth(u: DesiredUnit, statuses: Map<string, UnitStatus>, live: Map<string, HostRecord>, known: Map<string, KnownHost>, deployingVersion: number | undefined, now: number): Judged {
  const s = currentStatus(u, statuses.get(u.unit));
  const base: UnitHealth = {
    name: u.unit,
    version: u.version,
    instance: u.instance,
    host: u.host,
    state: s ? s.state : u.host ? 'pending' : 'unplaced',
    healthy: !!s?.healthy,
    restarts: s?.restarts ?? 0,
    deploying: u.version === deployingVersion,
    draining: u.drainingSince !== undefined,
  };
  if (s?.reason) base.reason = s.reason;
  else if (!s && u.reason) base.reason = u.reason;
  if (s?.lastProbe) base.lastProbe = s.lastProbe;
  if (s?.healthy) return { ...base, since: s.healthySince ?? s.updatedAt };

  if (u.host && !live.has(u.host)) {
    const k = known.get(u.host);
    const since = k ? (k.stoppedAt ?? k.lastSeenAt) : undefined;
    return { ...base, state: 'host-down', since, kind: 'down', why: `unit ${u.unit} is not running: ${hostName(u.host, k?.hostname)} is down${since ? ` since ${at(since)} (${duration(now - since)})` : ''}` };
  }
  if (u.hold) return { ...base, state: 'held', kind: 'starting', why: `unit ${u.unit} is ${u.reason ?? 'held'}` };
  if (!u.host) {
    const since = u.releasedAt ?? u.createdAt;
    return { ...base, since, kind: 'starting', why: `unit ${u.unit} is not placed: ${u.reason ?? 'waiting for placement'} (for ${duration(now - since)})` };
  }
  if (!s) {
    const since = u.placedAt ?? u.createdAt;
    return { ...base, since, kind: 'starting', why: `unit ${u.unit} has not started on host ${u.host} yet (placed ${duration(now - since)} ago)` };
  }
  const since = s.unhealthySince ?? s.startedAt ?? u.placedAt ?? u.createdAt;
  const starting = ['pending', 'pulling', 'starting', 'running'].includes(s.state) && s.unhealthySince === undefined;
  const restarts = s.restarts > 0 ? `, ${plural(s.restarts, 'restart')}` : '';
  const why = starting
    ? `unit ${u.unit} is ${s.state}${s.reason ? ` (${s.reason})` : ''} for ${duration(now - since)}${describeProbe(s.lastProbe)}`
    : `unit ${u.unit} has been unhealthy for ${duration(now - since)} (since ${at(since)}): ${s.state}${s.reason ? `: ${s.reason}` : ''}${s.exitCode !== undefined && !(s.reason ?? '').includes(`code ${s.exitCode}`) ? ` (exit code ${s.exitCode})` : ''}${restarts}${describeProbe(s.lastProbe)}`;
  return { ...base, since, kind: starting ? 'starting' : 'down', why };
}

export function serviceHealth(svc: ServiceFacts, facts: HealthFacts): ServiceHealth {
  const { now } = facts;
  const live = new Map(facts.hosts.map((h) => [h.id, h]));
  const known = new Map(facts.knownHosts.map((k) => [k.id, k]));
  const state = svc.latestVersion === 0 ? undefined : (svc.rollout?.state ?? 'succeeded');
  const deploy: DeployHealth | null =
    svc.latestVersion === 0
      ? null
      : {
          version: svc.latestVersion,
          state: state!,
          ...(svc.rollout?.reason ? { reason: svc.rollout.reason } : {}),
          ...(svc.rollout?.strategy ? { strategy: svc.rollout.strategy } : {}),
          ...(svc.rollout?.startedAt ? { startedAt: svc.rollout.startedAt } : {}),
          ...(svc.rollout?.finishedAt ? { finishedAt: svc.rollout.finishedAt } : {}),
        };
  const deployingVersion = state === 'deploying' ? svc.latestVersion : undefined;
  const judged = svc.units
    .map((u) => unitHealth(u, svc.statuses, live, known, deployingVersion, now))
    .sort((a, b) => a.version - b.version || a.instance - b.instance);
  const units = judged.map(({ why: _why, kind: _kind, ...u }) => u);
  const target = scaleVersion(svc.latestVersion, state, svc.serving);
  const active = judged.filter((u) => !u.draining);
  const desired = active.filter((u) => u.version === target).length;
  const healthyCount = active.filter((u) => u.healthy).length;
  const instances = {
    desired,
    healthy: healthyCount,
    starting: active.filter((u) => !u.healthy && u.kind === 'starting').length,
    unhealthy: active.filter((u) => !u.healthy && u.kind === 'down').length,
    draining: judged.length - active.length,
  };
  const base = { service: svc.name, checkedAt: now, deploy, serving: svc.serving, instances, units };

  if (svc.latestVersion === 0) return { ...base, healthy: true, status: 'healthy', reasons: [], summary: `service ${svc.name} has never been deployed: nothing to run` };

  const reasons: string[] = [];
  let status: HealthStatus = 'healthy';
  if (state === 'failed') {
    const serves = svc.serving > 0 && svc.serving !== svc.latestVersion;
    reasons.push(`the deploy of version ${svc.latestVersion} failed${svc.rollout?.finishedAt ? ` at ${at(svc.rollout.finishedAt)}` : ''}: ${svc.rollout?.reason ?? 'no reason recorded'}`);
    status = serves ? 'degraded' : 'unhealthy';
  }
  // a deploy under way: its new instances starting are progress, not problems; the ones that are down are
  const problems = active.filter((u) => !u.healthy && u.why !== undefined && !(u.deploying && u.kind === 'starting'));
  for (const u of problems) reasons.push(u.why!);
  if (state === 'deploying') {
    const fresh = active.filter((u) => u.deploying);
    const line = `version ${svc.latestVersion} is deploying${svc.rollout?.strategy ? ` (${svc.rollout.strategy})` : ''}: ${fresh.filter((u) => u.healthy).length} of ${plural(fresh.length, 'new instance')} healthy`;
    if (healthyCount < desired) {
      reasons.push(`${line}; ${healthyCount} of ${plural(desired, 'instance')} serve meanwhile`);
      status = worst(status, 'degraded');
    } else if (problems.length > 0) status = worst(status, 'degraded');
  } else {
    if (desired > 0 && healthyCount === 0) status = 'unhealthy';
    else if (healthyCount < desired || problems.length > 0) status = worst(status, 'degraded');
    if (healthyCount < desired && problems.length === 0) reasons.push(`${healthyCount} of ${plural(desired, 'instance')} healthy`);
  }

  let summary: string;
  if (state === 'deploying') summary = `version ${svc.latestVersion} is deploying; ${healthyCount} of ${plural(desired, 'instance')} healthy`;
  else if (desired === 0 && state !== 'failed') summary = `scaled to 0 instances: nothing runs`;
  else if (state === 'failed' && target === 0) summary = `nothing runs: the first deploy (version ${svc.latestVersion}) failed`;
  else summary = `version ${target} serves with ${healthyCount} of ${plural(desired, 'instance')} healthy${state === 'failed' ? `; version ${svc.latestVersion} failed` : ''}`;
  return { ...base, healthy: status === 'healthy', status, reasons, summary };
}

export function clusterHealth(facts: HealthFacts, services: ServiceFacts[], allUnits: DesiredUnit[], statuses: Map<string, UnitStatus>): ClusterHealth {
  const hosts = hostsHealth(facts, allUnits, statuses);
  const svcs = services.map((s) => serviceHealth(s, facts)).sort((a, b) => a.service.localeCompare(b.service));
  const reasons: string[] = [];
  let status: HealthStatus = 'healthy';
  const up = hosts.filter((h) => h.state === 'up');
  const wanted = svcs.reduce((n, s) => n + s.instances.desired, 0);
  if (up.length === 0) {
    reasons.push(wanted > 0 ? `no host is up: ${plural(wanted, 'instance')} cannot run` : 'no host is up: start an agent (paz agent, or paz up)');
    status = wanted > 0 ? 'unhealthy' : 'degraded';
  }
  for (const h of hosts) {
    if (h.healthy) continue;
    reasons.push(...h.reasons);
    // a host down or unwell is less capacity; the services say whether anything stopped working
    status = worst(status, 'degraded');
  }
  for (const s of svcs) {
    if (s.healthy) continue;
    reasons.push(`service ${s.service} is ${s.status}: ${s.reasons.join('; ')}`);
    status = worst(status, s.status);
  }
  const counts = {
    hosts: hosts.length,
    hostsUp: up.length,
    hostsDown: hosts.length - up.length,
    hostsUnhealthy: up.filter((h) => !h.healthy).length,
    services: svcs.length,
    servicesHealthy: svcs.filter((s) => s.status === 'healthy').length,
    servicesDegraded: svcs.filter((s) => s.status === 'degraded').length,
    servicesUnhealthy: svcs.filter((s) => s.status === 'unhealthy').length,
  };
  const summary = `${counts.hostsUp} of ${plural(counts.hosts, 'host')} up${counts.hostsUnhealthy ? ` (${counts.hostsUnhealthy} unwell)` : ''}; ${counts.servicesHealthy} of ${plural(counts.services, 'service')} healthy`;
  return {
    healthy: status === 'healthy',
    status,
    reasons,
    summary,
    checkedAt: facts.now,
    hosts,
    services: svcs.map(({ units: _u, ...s }) => s),
    counts,
  };
}
