/**
 * Placement: choosing a host for each unplaced unit. Pure, in Nomad's shape: for each unit, filter the
 * feasible hosts (free host ports, `conflictsWith`, `mustShareWith`, memory), score them (fewest units
 * first, i.e. spread), pick the best. Written for many hosts; `paz up` simply has one.
 */
import type { DesiredUnit, HostRecord, UnitStatus } from './records.js';
import { instanceEnv } from './records.js';
import { unitName } from './unit-name.js';
import { countsHealthy, hopeless, whyNotHealthy } from './rollout-policy.js';
import { ROLLOUT_DEFAULTS } from './rollout-defaults.js';

export interface Placement {
  unit: string;
  host: string;
}

export interface Unplaceable {
  unit: string;
  reason: string;
}

export interface PlacementResult {
  placed: Placement[];
  unplaceable: Unplaceable[];
}

/**
 * `contrived-service-*` style globs over service names: `*` matches any run of characters, every other
 * character matches itself. Iterative with one backtrack point (the last `*`), so O(glob × name) at worst
 * whatever the pattern: the RegExp this replaced backtracked exponentially on `a*a*a*…b`.
 */
export function globMatch(glob: string, name: string): boolean {
  let g = 0;
  let n = 0;
  let star = -1;
  let resume = 0;
  while (n < name.length) {
    if (g < glob.length && glob[g] === '*') {
      star = g++;
      resume = n;
    } else if (g < glob.length && glob[g] === name[n]) {
      g++;
      n++;
    } else if (star >= 0) {
      g = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob[g] === '*') g++;
  return g === glob.length;
}

function hostPorts(u: DesiredUnit): string[] {
  return u.spec.ports.filter((p) => p.host !== undefined).map((p) => `${p.host}/${p.protocol ?? 'tcp'}`);
}

function memoryOf(u: DesiredUnit): number {
  return (u.spec.memoryMb ?? 0) * 1024 * 1024;
}

/**
 * What is on one host, kept as totals so that checking a unit against it does not walk every unit there:
 * placing 1000 units on a host with 1000 others walked 10^6 units (and built as many port sets) in one
 * synchronous pass of the control plane.
 */
class HostLoad {
  readonly ports = new Set<string>();
  memory = 0;
  count = 0;
  /** service -> version -> how many units, and one of their names (for messages) */
  readonly services = new Map<string, Map<number, { count: number; sample: string }>>();
  /** units here that name a conflictsWith glob (few: it is a rare setting) */
  readonly conflicting: DesiredUnit[] = [];
  /** service -> units of every version here: the spread score asks it for every host, for every unit placed */
  private readonly perService = new Map<string, number>();

  constructor(units: DesiredUnit[] = []) {
    for (const u of units) this.add(u);
  }

  add(u: DesiredUnit): void {
    for (const p of hostPorts(u)) this.ports.add(p);
    this.memory += memoryOf(u);
    this.count++;
    let versions = this.services.get(u.service);
    if (!versions) this.services.set(u.service, (versions = new Map()));
    const v = versions.get(u.version);
    if (v) v.count++;
    else versions.set(u.version, { count: 1, sample: u.unit });
    if (u.conflictsWith) this.conflicting.push(u);
    this.perService.set(u.service, (this.perService.get(u.service) ?? 0) + 1);
  }

  serviceCount(service: string): number {
    return this.perService.get(service) ?? 0;
  }

  /** A unit here that `unit` counts as a rival of service `service`, if any: another version of its own service never is. */
  rivalOf(unit: DesiredUnit, service: string): string | undefined {
    const versions = this.services.get(service);
    if (!versions) return undefined;
    if (service !== unit.service) return versions.values().next().value?.sample;
    return versions.get(unit.version)?.sample;
  }
}

/** What placement needs to know of a host beyond its load, worked out once per pass, not once per unit. */
interface HostFacts {
  host: HostRecord;
  /** the router's port is served through the router (the unit becomes its default backend), so it never clashes */
  viaRouter: string | undefined;
  reserved: Set<string>;
}

function hostFacts(host: HostRecord): HostFacts {
  return { host, viaRouter: host.routerPort !== undefined ? `${host.routerPort}/tcp` : undefined, reserved: new Set((host.reservedPorts ?? []).map((p) => `${p}/tcp`)) };
}

/** Why `unit` cannot go on `host` given what is already there, or undefined when it can. */
export function infeasibility(unit: DesiredUnit, host: HostRecord, onHost: DesiredUnit[]): string | undefined {
  return infeasibleOn(unit, hostPorts(unit), hostFacts(host), new HostLoad(onHost.filter((o) => o.unit !== unit.unit)));
}

/** `ports`: hostPorts(unit), worked out once per unit, not once per host */
function infeasibleOn(unit: DesiredUnit, ports: string[], facts: HostFacts, load: HostLoad): string | undefined {
  const { host, viaRouter, reserved } = facts;
  const wanted = ports.length === 0 ? ports : ports.filter((p) => p !== viaRouter);
  const own = wanted.find((p) => reserved.has(p));
  if (own) return `host port ${own} is Paz's own on ${host.hostname}`;
  const clash = wanted.find((p) => load.ports.has(p));
  if (clash) return `host port ${clash} is taken on ${host.hostname}`;
  // Another version of the same service is what a rolling deploy replaces: it never conflicts.
  if (unit.conflictsWith) {
    for (const service of load.services.keys()) {
      if (!globMatch(unit.conflictsWith, service)) continue;
      const other = load.rivalOf(unit, service);
      if (other) return `conflictsWith "${unit.conflictsWith}": ${other} runs on ${host.hostname}`;
    }
  }
  const reverse = load.conflicting.find((o) => !(o.service === unit.service && o.version !== unit.version) && globMatch(o.conflictsWith!, unit.service));
  if (reverse) return `${reverse.unit} on ${host.hostname} conflicts with "${reverse.conflictsWith}"`;
  if (unit.mustShareWith && !load.services.has(unit.mustShareWith)) return `mustShareWith "${unit.mustShareWith}": it does not run on ${host.hostname}`;
  const need = memoryOf(unit);
  if (need > 0) {
    const free = host.memoryBytes - load.memory;
    if (need > free) return `needs ${unit.spec.memoryMb} MiB, ${host.hostname} has ${Math.floor(free / 1048576)} MiB unreserved`;
  }
  return undefined;
}

/** the order of String.prototype.localeCompare, without building a collator at each of the M·log M comparisons */
const collator = new Intl.Collator();

/** Where a unit of `service` goes best, lowest first: fewer units of its service first, then fewer units overall. */
function spreadScore(load: HostLoad, service: string): number {
  return load.serviceCount(service) * 1000 + load.count;
}

/**
 * Hosts ordered by a unit's spread score (fewer units of its service first, then fewer units overall), ties in
 * host order: what the scan over every host in placeUnits picks for a unit that fits on any of them, in
 * log(hosts) per unit instead of hosts. Placing 10,000 units on 1,000 hosts scanned 10^7 hosts in one pass.
 */
class SpreadHeap {
  private readonly heap: number[];

  constructor(
    private readonly hosts: Array<{ load: HostLoad }>,
    private readonly service: string,
  ) {
    this.heap = hosts.map((_, i) => i);
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private score(i: number): number {
    return spreadScore(this.hosts[i].load, this.service);
  }

  private before(a: number, b: number): boolean {
    const sa = this.score(a);
    const sb = this.score(b);
    return sa < sb || (sa === sb && a < b);
  }

  /** the index of the host with the lowest score */
  best(): number {
    return this.heap[0];
  }

  /** the best host's load grew: move it down to its place */
  bestGrew(): void {
    this.down(0);
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.before(h[l], h[m])) m = l;
      if (r < h.length && this.before(h[r], h[m])) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}

/** fits on any host as far as its own settings go: no host port, memory or placement rule to check */
function unconstrained(u: DesiredUnit): boolean {
  return !u.conflictsWith && !u.mustShareWith && memoryOf(u) === 0 && hostPorts(u).length === 0;
}

/**
 * Places every unit with `host === null`, in order (lowest version and instance first). Units already
 * placed stay where they are and count against their hosts. Drained hosts (`paz host drain`) get nothing new.
 */
export function placeUnits(all: DesiredUnit[], hosts: HostRecord[], drained: ReadonlySet<string> = new Set()): PlacementResult {
  const result: PlacementResult = { placed: [], unplaceable: [] };
  const byHost = new Map<string, HostLoad>(hosts.map((h) => [h.id, new HostLoad()]));
  for (const u of all) if (u.host) byHost.get(u.host)?.add(u);
  const pending = all.filter((u) => u.host === null && !u.hold).sort((a, b) => collator.compare(a.service, b.service) || a.version - b.version || a.instance - b.instance);
  const sortedHosts = hosts
    .filter((h) => !drained.has(h.id))
    .sort((a, b) => collator.compare(a.id, b.id))
    .map((h) => ({ facts: hostFacts(h), load: byHost.get(h.id)! }));
  // with no unit anywhere naming a conflictsWith rule, an unconstrained unit fits on every host: the best by
  // spread comes from a heap (one per service, while its units are placed one after another)
  let spread: SpreadHeap | undefined;
  let spreadService: string | undefined;
  let anyConflicting = sortedHosts.some(({ load }) => load.conflicting.length > 0);
  for (const unit of pending) {
    if (sortedHosts.length === 0) {
      const reason = hosts.length === 0 ? 'no host is available: start an agent (paz agent, or paz up on a single host)' : 'every host is drained: paz host undrain ID makes one eligible again';
      result.unplaceable.push({ unit: unit.unit, reason });
      continue;
    }
    if (unconstrained(unit) && !anyConflicting) {
      if (!spread || spreadService !== unit.service) {
        spread = new SpreadHeap(sortedHosts, unit.service);
        spreadService = unit.service;
      }
      const { facts, load } = sortedHosts[spread.best()];
      result.placed.push({ unit: unit.unit, host: facts.host.id });
      load.add({ ...unit, host: facts.host.id });
      spread.bestGrew();
      continue;
    }
    // any other placement may change any host's load: the heap is built again for the next unconstrained unit
    spread = undefined;
    const reasons: string[] = [];
    let best: { host: HostRecord; score: number } | undefined;
    const ports = hostPorts(unit);
    for (const { facts, load } of sortedHosts) {
      const why = infeasibleOn(unit, ports, facts, load);
      if (why) {
        reasons.push(why);
        continue;
      }
      const score = spreadScore(load, unit.service);
      if (!best || score < best.score) best = { host: facts.host, score };
    }
    if (!best) {
      result.unplaceable.push({ unit: unit.unit, reason: `no host can take it: ${reasons.join('; ')}` });
      continue;
    }
    result.placed.push({ unit: unit.unit, host: best.host.id });
    byHost.get(best.host.id)!.add({ ...unit, host: best.host.id });
    if (unit.conflictsWith) anyConflicting = true;
  }
  return result;
}

/**
 * Where a deploy's new units go in the txn that creates them, so that each is written once, not created
 * unplaced and then written again by the placement loop (on etcd every unit write goes to every watcher: the
 * second write was a third of a big deploy's cost). Only what cannot break a rule is placed here: a unit not
 * held and with nothing to check but spread (no host port, memory, conflictsWith or mustShareWith), and none
 * at all while any unit or service of the cluster names a conflictsWith rule (`conflictsWith`): whether a
 * unit may share a host with another is decided by the placement loop alone, one unit after another. The
 * rest stay unplaced for the loop, as before. `existing`: every unit the leader knows, committed or staged.
 */
export function placeAtDeploy(fresh: DesiredUnit[], existing: DesiredUnit[], hosts: HostRecord[], drained: ReadonlySet<string>, conflictsWith: boolean): Placement[] {
  if (conflictsWith || existing.some((u) => u.conflictsWith)) return [];
  const candidates = fresh.filter((u) => u.host === null && !u.hold && unconstrained(u));
  if (candidates.length === 0) return [];
  const names = new Set(candidates.map((u) => u.unit));
  // the fresh units' own names may already be staged (an earlier attempt of this deploy): they count once
  const placed = existing.filter((u) => u.host !== null && !names.has(u.unit));
  return placeUnits([...placed, ...candidates], hosts, drained).placed;
}

/**
 * Units placed on hosts that stopped heartbeating (their record expired with the agent's lease) for at
 * least `graceMs`: to be placed again elsewhere. `missingSince` remembers when each host was first seen
 * gone; a host that comes back before the grace is over keeps its units (no flapping on a short blip).
 */
export function lostUnits(units: DesiredUnit[], liveHosts: ReadonlySet<string>, missingSince: Map<string, number>, now: number, graceMs: number): Array<{ unit: string; host: string }> {
  for (const id of [...missingSince.keys()]) if (liveHosts.has(id)) missingSince.delete(id);
  const lost: Array<{ unit: string; host: string }> = [];
  for (const u of units) {
    if (u.host === null || liveHosts.has(u.host) || u.drainingSince !== undefined) continue;
    if (!missingSince.has(u.host)) missingSince.set(u.host, now);
    if (now - missingSince.get(u.host)! >= graceMs) lost.push({ unit: u.unit, host: u.host });
  }
  return lost;
}

/**
 * A unit of a lost host (lostUnits), unplaced so the next pass places it elsewhere. Its healthy deadline
 * starts again now: the copy that runs next starts from nothing, and a deploy that lost a host late must not
 * fail on the time its units spent on the dead one (Nomad gives a rescheduled allocation a fresh deadline
 * too). A held unit keeps waiting for its release, which starts its clock then.
 */
export function unplacedAfterHostLoss(u: DesiredUnit, host: string, now: number): DesiredUnit {
  const { placedAt: _placed, ...rest } = u;
  return { ...rest, host: null, reason: `host ${host} stopped heartbeating; placing it again`, ...(u.hold ? {} : { releasedAt: now }) };
}

/**
 * Moving units off drained hosts (`paz host drain`), the way a rolling deploy keeps zero failed requests:
 * each unit on a drained host gets a replacement (same version, next free instance number, placed on
 * another host by placeUnits), and the old unit is retired (drained by the routers, then deleted by the
 * rollout controller) only once its replacement has been healthy for minHealthySeconds. A unit no other
 * eligible host can take (one host, no room, its host port taken everywhere) stays where it is: the drain is
 * stuck, and says why. So is a unit whose replacement crash-loops or can never start (its image is missing):
 * the old unit keeps running and nothing is retired, and the replacement stays, so a fix that lets its next
 * restart come up finishes the move. Undrained before a move finished: a replacement already healthy
 * completes the move (units do not move back), one not yet healthy is cancelled.
 *
 * A unit asked to restart (`paz restart NAME --unit U`, `restarts`) is replaced the same way, wherever it is
 * (its own host included: a fresh instance, not a move); its request is done ('restarted') once the unit is
 * retired or gone, and a request withdrawn before the replacement was healthy cancels it as an undrain does.
 */
export type DrainAction =
  | { type: 'replace'; unit: string; replacement: DesiredUnit; cause: 'drain' | 'restart' }
  | { type: 'retire'; unit: string; by: string }
  | { type: 'cancel'; unit: string; of: string }
  | { type: 'restarted'; unit: string };

export interface DrainPlan {
  actions: DrainAction[];
  /** units that cannot move: nowhere else to go, or their replacement cannot start */
  stuck: Unplaceable[];
}

/** A copy of `u` as instance `instance`, unplaced, naming the unit it replaces (`why`: for humans, in its reason). */
export function replacementOf(u: DesiredUnit, instance: number, now: number, why = 'its host is drained'): DesiredUnit {
  const { host: _host, placedAt: _placed, drainingSince: _draining, hold: _hold, releasedAt: _released, ...rest } = u;
  return renumbered({ ...rest, host: null, createdAt: now, replaces: u.unit, reason: `waiting for placement: replaces ${u.unit} (${why})` }, instance);
}

/** The same unit under another instance number: its name and the identity its instance sees (PAZ_INSTANCE…) follow. */
export function renumbered(u: DesiredUnit, instance: number): DesiredUnit {
  return { ...u, unit: unitName(u.service, u.version, instance), instance, spec: { ...u.spec, env: { ...u.spec.env, ...instanceEnv(u.service, u.version, instance) } } };
}

/** How long a replacement must stay healthy before the unit it replaces is retired (the service's rollout.minHealthySeconds). */
const minHealthyMs = (u: DesiredUnit) => (u.minHealthySeconds ?? ROLLOUT_DEFAULTS.minHealthySeconds) * 1000;

/** "<unit> was not healthy within N s: why" once a replacement is past its healthy deadline (from its creation, as a deploy's new unit). */
function overdue(r: DesiredUnit, statuses: Map<string, UnitStatus>, now: number): string | undefined {
  const deadlineSeconds = r.healthyDeadlineSeconds ?? ROLLOUT_DEFAULTS.healthyDeadlineSeconds;
  if (now < (r.releasedAt ?? r.createdAt) + deadlineSeconds * 1000 || countsHealthy(r, statuses, now, minHealthyMs(r))) return undefined;
  return `${r.unit} was not healthy within ${deadlineSeconds} s: ${whyNotHealthy(r, statuses, now, minHealthyMs(r))}`;
}

export function planHostDrains(input: { units: DesiredUnit[]; hosts: HostRecord[]; drained: ReadonlySet<string>; statuses: Map<string, UnitStatus>; now: number; restarts?: ReadonlySet<string> }): DrainPlan {
  const { units, drained, statuses, now } = input;
  const restarts = input.restarts ?? new Set<string>();
  const plan: DrainPlan = { actions: [], stuck: [] };
  const live = units.filter((u) => u.drainingSince === undefined);
  const byName = new Map(units.map((u) => [u.unit, u]));
  // restarts asked of a unit that is retired (its replacement took over) or gone (deleted, scaled away) are done
  for (const unit of restarts) {
    const u = byName.get(unit);
    if (!u || u.drainingSince !== undefined) plan.actions.push({ type: 'restarted', unit });
  }
  const replacementOfUnit = new Map<string, DesiredUnit>();
  for (const r of live) if (r.replaces && byName.get(r.replaces)?.drainingSince === undefined && byName.has(r.replaces)) replacementOfUnit.set(r.replaces, r);
  const ready = (u: DesiredUnit) => countsHealthy(u, statuses, now, minHealthyMs(u));
  // moves under way: finish them once the replacement is ready; cancel those whose host was undrained meanwhile
  for (const [old, r] of replacementOfUnit) {
    const o = byName.get(old)!;
    if (ready(r)) plan.actions.push({ type: 'retire', unit: old, by: r.unit });
    else if (o.host === null || (!drained.has(o.host) && !restarts.has(old))) plan.actions.push({ type: 'cancel', unit: r.unit, of: old });
    else {
      // a replacement that crash-loops (or can never start), or hangs (never healthy, never exits) past its
      // healthy deadline, would leave the drain "moving" forever: say so. It stays, so a fix (the app, its image,
      // its host) that lets it come up still finishes the move.
      const broken = hopeless(r, statuses) ?? overdue(r, statuses, now);
      if (broken) plan.stuck.push({ unit: old, reason: `stuck: its replacement ${broken}` });
    }
  }
  // units on drained hosts with no replacement yet: one each, if another eligible host can take it
  const toMove = live.filter((u) => u.host !== null && (drained.has(u.host) || restarts.has(u.unit)) && !replacementOfUnit.has(u.unit)).sort((a, b) => a.service.localeCompare(b.service) || a.version - b.version || a.instance - b.instance);
  if (toMove.length === 0) return plan;
  const nextInstance = new Map<string, number>();
  for (const u of units) {
    const key = `${u.service}\u0000${u.version}`;
    nextInstance.set(key, Math.max(nextInstance.get(key) ?? 1, u.instance + 1));
  }
  const candidates = toMove.map((u) => {
    const key = `${u.service}\u0000${u.version}`;
    const instance = nextInstance.get(key)!;
    nextInstance.set(key, instance + 1);
    return replacementOf(u, instance, now, u.host !== null && drained.has(u.host) ? 'its host is drained' : 'restart asked');
  });
  // where they would go, with everything else as it is (capacity, ports, conflicts): placeUnits decides
  const trial = placeUnits([...units.filter((u) => u.host !== null), ...candidates], input.hosts, drained);
  const placeable = new Set(trial.placed.map((p) => p.unit));
  const why = new Map(trial.unplaceable.map((p) => [p.unit, p.reason]));
  for (const r of candidates) {
    const onDrained = drained.has(byName.get(r.replaces!)!.host!);
    if (placeable.has(r.unit)) plan.actions.push({ type: 'replace', unit: r.replaces!, replacement: r, cause: onDrained ? 'drain' : 'restart' });
    else if (onDrained) plan.stuck.push({ unit: r.replaces!, reason: `stuck: no other eligible host (${why.get(r.unit) ?? 'no host can take it'})` });
    else plan.stuck.push({ unit: r.replaces!, reason: `stuck: no host can take its replacement (${why.get(r.unit) ?? 'no room'})` });
  }
  return plan;
}

export type HostDrainState = 'draining' | 'drained' | 'stuck';

/**
 * How a drained host's drain goes: units still on it (retiring ones too, and ones gone from the desired state
 * whose agent still reports them: being stopped), and the ones that cannot move. Drained means nothing runs
 * there any more, so the host can be switched off.
 */
export function drainProgress(hostId: string, units: DesiredUnit[], plan: DrainPlan, statuses: Map<string, UnitStatus>): { state: HostDrainState; remaining: number; stuck: Unplaceable[] } {
  const mine = new Set(units.filter((u) => u.host === hostId).map((u) => u.unit));
  const stuck = plan.stuck.filter((s) => mine.has(s.unit));
  for (const s of statuses.values()) if (s.host === hostId) mine.add(s.unit);
  const remaining = mine.size;
  return { state: remaining === 0 ? 'drained' : stuck.length > 0 ? 'stuck' : 'draining', remaining, stuck };
}
