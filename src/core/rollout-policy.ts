/**
 * Deploys, decided (pure): given a service's desired units, their reported status, its latest deploy, the
 * version that serves and the time, what to do next.
 *
 * Rolling (the default): the new version's instances start beside the old ones (at most `maxSurge` starting
 * at once); only when every new instance has stayed healthy for `minHealthySeconds` are the old instances
 * drained (routers send them nothing new while in-flight requests finish), then deleted after
 * `drainSeconds`. Recreate (a fixed host port the old instances hold): the old instances drain and stop
 * first; the new ones are released once the old are gone (desired unit deleted and its status gone, so the
 * port is free).
 *
 * A failed version stays failed: a new instance not healthy within `healthyDeadlineSeconds` of the moment
 * it was allowed to start (`releasedAt`, else `createdAt`), or one that crash-loops or fails permanently
 * (fail fast), fails the deploy. All of that version's instances are removed, held ones too, and any that
 * appear later (a racing scale) are removed as well. The serving version (the last one that succeeded)
 * keeps serving; after a recreate, whose old instances are gone, it is started again. With no serving
 * version (a first deploy fails) nothing runs until the next deploy: retrying a version that crash-loops or
 * names a missing image would only burn restarts, and the next deploy (a fix, a push) starts afresh.
 */
import type { DeployRecord, DesiredUnit, UnitStatus } from './records.js';
import { CRASH_LOOP_RESTARTS, PERMANENT_FAILURES, rolloutSettings, type RolloutStrategy } from './rollout-defaults.js';
import { firstFreeInstance, parseUnitName, unitsWhy } from './unit-name.js';
import { desiredUnitsFor } from './deploy-plan.js';
import { isMoreLinesMarker } from './more-lines.js';
import { isDeepStrictEqual } from 'node:util';

export type RolloutState = 'deploying' | 'succeeded' | 'failed';

export interface RolloutStatus {
  service: string;
  version: number;
  state: RolloutState;
  reason?: string;
  /** how this version replaces the one before (absent on records written before strategies existed: rolling) */
  strategy?: RolloutStrategy;
  /** why that strategy, when it was chosen automatically */
  strategyReason?: string;
  startedAt: number;
  finishedAt?: number;
}

export type RolloutAction =
  | { type: 'release'; unit: string }
  | { type: 'drain'; unit: string }
  | { type: 'delete'; unit: string }
  | { type: 'succeed'; version: number; message: string }
  /** `restore`: units of the serving version to create in the same write (recreate: the old ones are gone) */
  | { type: 'fail'; version: number; reason: string; restore?: DesiredUnit[] };

export interface RolloutInput {
  /** the service's latest deploy; undefined when it was never deployed */
  latest: DeployRecord | undefined;
  /** what is already decided about the latest version */
  status: RolloutStatus | undefined;
  /** the version that serves (see Deploys.servingVersion); 0 when none */
  serving: number;
  /** the serving version's record, needed to start it again after a failed recreate */
  servingRecord?: DeployRecord;
  /** the highest instance number the serving version ever handed out (its mark; state/instance-marks.ts) */
  servingIssued?: number;
  units: DesiredUnit[];
  /** reported status by unit name (may hold other services' units too) */
  statuses: Map<string, UnitStatus>;
  now: number;
  /** draining units that every router reports without requests in flight (router-report.ts drainedUnits) */
  drained?: Set<string>;
}

export function isHealthy(u: DesiredUnit, statuses: Map<string, UnitStatus>): boolean {
  const s = statuses.get(u.unit);
  return !!s && !!u.host && s.host === u.host && s.healthy;
}

/**
 * Healthy for the rollout: healthy and for at least `minHealthyMs`. Agents report `healthySince`; for one
 * that does not, the time of its healthy report stands in (an agent writes a unit's status only on change).
 */
export function countsHealthy(u: DesiredUnit, statuses: Map<string, UnitStatus>, now: number, minHealthyMs: number): boolean {
  if (!isHealthy(u, statuses)) return false;
  const s = statuses.get(u.unit)!;
  const since = s.healthySince ?? s.updatedAt;
  return now - since >= minHealthyMs;
}

/** A unit's status in words, with its own error: state, reason, exit code, last lines of output. */
export function describeStatus(s: UnitStatus): string {
  let text: string = s.state;
  if (s.reason) text += `: ${s.reason}`;
  if (s.exitCode !== undefined && !(s.reason ?? '').includes(`code ${s.exitCode}`)) text += ` (exit code ${s.exitCode})`;
  if (s.restarts > 0) text += `, ${s.restarts} restart${s.restarts === 1 ? '' : 's'}`;
  // still within its start-up grace ("waiting for the health check"), a unit's reason does not say what the checks
  // found; a deploy that runs out of time on it should (e.g. "nothing listens on port 8080 inside the container")
  const check = s.lastProbe?.ok === false ? s.lastProbe.error : undefined;
  if (!s.healthy && check && !(s.reason ?? '').includes(check)) text += ` (last check: ${check})`;
  const out = (s.lastOutput ?? []).filter((l) => l.trim() !== '');
  // five lines: the last ones, or, when the kept output begins at the error's message (and ends saying how many
  // lines were cut), its first four and that count: a crash's last lines are stack frames
  const quoted = isMoreLinesMarker(out.at(-1)) ? [...out.slice(0, Math.min(4, out.length - 1)), out.at(-1)!] : out.slice(-5);
  if (quoted.length) text += `; last output: ${quoted.join(' | ')}`;
  return text;
}

/** Why `u` does not count healthy yet, without its name (see unitsWhy). */
export function whyNotHealthy(u: DesiredUnit, statuses: Map<string, UnitStatus>, now: number, minHealthyMs: number): string {
  if (u.hold) return u.reason ?? 'held';
  if (!u.host) return u.reason ?? 'not placed';
  const s = statuses.get(u.unit);
  if (!s || s.host !== u.host) return 'not started';
  if (s.healthy) return `healthy for only ${Math.round((now - (s.healthySince ?? s.updatedAt)) / 100) / 10} s of ${minHealthyMs / 1000} s`;
  return describeStatus(s);
}

/** Why a new unit can never become healthy, without its name (see hopeless). */
function hopelessWhy(u: DesiredUnit, statuses: Map<string, UnitStatus>): string | undefined {
  const s = statuses.get(u.unit);
  if (!s || !u.host || s.host !== u.host || u.hold) return undefined;
  if (s.state === 'failed' && PERMANENT_FAILURES.some((code) => (s.reason ?? '').startsWith(`${code}:`))) return describeStatus(s);
  // caught while it is down (its exit code and output are in the status then), or at the next restart
  const down = s.state === 'exited' || s.state === 'failed' || s.state === 'unhealthy';
  if (!s.healthy && ((down && s.restarts >= CRASH_LOOP_RESTARTS) || s.restarts > CRASH_LOOP_RESTARTS)) return `crash-looping: ${describeStatus(s)}`;
  return undefined;
}

/** Why a new unit can never become healthy, so its deploy fails now rather than at the deadline: "<unit> <why>". */
export function hopeless(u: DesiredUnit, statuses: Map<string, UnitStatus>): string | undefined {
  const why = hopelessWhy(u, statuses);
  return why === undefined ? undefined : `${u.unit} ${why}`;
}

/** Whether any unit of `service` other than `version` still runs or is desired (recreate waits for none). */
function othersRemain(service: string, version: number, units: DesiredUnit[], statuses: Map<string, UnitStatus>): boolean {
  if (units.some((u) => u.version !== version)) return true;
  for (const s of statuses.values()) {
    const id = parseUnitName(s.unit);
    if (id && id.service === service && id.version !== version) return true;
  }
  return false;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function decideRollout(input: RolloutInput): RolloutAction[] {
  const actions: RolloutAction[] = [];
  const { latest, units, statuses, now, serving } = input;
  const settings = rolloutSettings(latest?.config);

  // Instances go once the routers show nothing in flight on them, or when their drain time is over.
  for (const u of units) {
    if (u.drainingSince !== undefined && (now - u.drainingSince >= settings.drainMs || input.drained?.has(u.unit))) actions.push({ type: 'delete', unit: u.unit });
  }
  if (!latest) return actions;

  const live = units.filter((u) => u.drainingSince === undefined);
  const fresh = live.filter((u) => u.version === latest.version);
  const old = live.filter((u) => u.version !== latest.version);
  const state = input.status?.state ?? 'deploying';
  const strategy = input.status?.strategy ?? settings.strategy ?? 'rolling';

  if (state === 'failed') {
    // none of a failed version's instances remain, whatever created them
    for (const u of fresh) actions.push({ type: 'delete', unit: u.unit });
    for (const u of old) {
      if (u.version !== serving) actions.push({ type: 'drain', unit: u.unit });
      // the serving version started again after a failed recreate: once the failed instances are gone
      else if (u.hold && !othersRemain(latest.service, serving, units, statuses)) actions.push({ type: 'release', unit: u.unit });
    }
    return actions;
  }
  if (state === 'succeeded') {
    // anything older that is still live (e.g. placed late) is drained too
    for (const u of old) actions.push({ type: 'drain', unit: u.unit });
    // instances a scale added as held while the version deployed, but that landed after its rollout had
    // decided (the scale read 'deploying'; or this controller's view had not heard of them yet): the version
    // serves now, so they start as any scale of it would. Left held, nothing ever started them (the crash
    // loop test found two such units unplaced 180 s later).
    for (const u of fresh) if (u.hold) actions.push({ type: 'release', unit: u.unit });
    return actions;
  }

  // deploying: fail fast, or at a unit's deadline
  const broken = fresh.flatMap((u) => {
    const why = hopelessWhy(u, statuses);
    return why === undefined ? [] : [{ unit: u.unit, why }];
  });
  const overdue = fresh.filter((u) => !u.hold && now >= (u.releasedAt ?? u.createdAt) + settings.healthyDeadlineMs && !countsHealthy(u, statuses, now, settings.minHealthyMs));
  if (broken.length > 0 || overdue.length > 0) {
    const why =
      broken.length > 0
        ? `version ${latest.version} failed: ${unitsWhy(broken)}`
        : `version ${latest.version} was not healthy within ${settings.healthyDeadlineMs / 1000} s: ${unitsWhy(overdue.map((u) => ({ unit: u.unit, why: whyNotHealthy(u, statuses, now, settings.minHealthyMs) })))}`;
    for (const u of fresh) actions.push({ type: 'delete', unit: u.unit });
    // held units of the serving version are a restore (below) a controller wrote in part before it died
    // (rollout-controller.ts writes a big one in chunks before the outcome): not live, and decided again
    // under the same names, so the rewrite completes it instead of adding more
    const servingLive = old.filter((u) => u.version === serving && !u.hold);
    if (serving > 0 && servingLive.length > 0) {
      actions.push({ type: 'fail', version: latest.version, reason: `${why}; version ${serving} keeps serving` });
    } else if (serving > 0 && input.servingRecord) {
      // recreate stopped the serving version first: start it again, held until the failed instances are gone
      // after every number the version handed out: an instance whose entry is gone may still run where its
      // agent is away, and one of its name started here would run beside it
      const first = firstFreeInstance(input.servingIssued ?? 0, units.filter((u) => u.version === serving && !u.hold).map((u) => u.instance));
      const restore = desiredUnitsFor(input.servingRecord, latest.config.numInstances, now, first).map((u) => ({ ...u, hold: true, reason: `held: starts once version ${latest.version}'s instances are gone` }));
      actions.push({ type: 'fail', version: latest.version, reason: `${why}; version ${serving} is started again (${plural(restore.length, 'instance')})`, restore });
    } else {
      actions.push({ type: 'fail', version: latest.version, reason: `${why}; no earlier version to fall back to: nothing runs until the next deploy` });
    }
    return actions;
  }

  if (strategy === 'recreate') {
    // stop the old first; release the new ones once nothing of the old remains (the port is free)
    for (const u of old) actions.push({ type: 'drain', unit: u.unit });
    if (old.length === 0 && !othersRemain(latest.service, latest.version, units, statuses)) {
      for (const u of fresh) if (u.hold) actions.push({ type: 'release', unit: u.unit });
    }
  } else {
    const starting = fresh.filter((u) => !u.hold && !countsHealthy(u, statuses, now, settings.minHealthyMs)).length;
    const held = fresh.filter((u) => u.hold).sort((a, b) => a.instance - b.instance);
    for (const u of held.slice(0, Math.max(0, settings.maxSurge - starting))) actions.push({ type: 'release', unit: u.unit });
  }

  const allHealthy = fresh.every((u) => !u.hold && countsHealthy(u, statuses, now, settings.minHealthyMs));
  if (allHealthy && (strategy === 'rolling' || old.length === 0)) {
    for (const u of old) actions.push({ type: 'drain', unit: u.unit });
    const healthyFor = settings.minHealthyMs > 0 ? ` for ${settings.minHealthyMs / 1000} s` : '';
    actions.push({
      type: 'succeed',
      version: latest.version,
      message: `version ${latest.version} is healthy${healthyFor} (${plural(fresh.length, 'instance')})${strategy === 'recreate' ? ', recreated' : ''}${old.length ? `; draining ${plural(old.length, 'old instance')}` : ''}`,
    });
  }
  return actions;
}

/**
 * The version `scale` acts on: the latest while it deploys or after it succeeded, the serving one after
 * the latest failed (never the failed version); 0 when nothing can be scaled (a first deploy failed).
 */
export function scaleVersion(latest: number, latestState: RolloutState | undefined, serving: number): number {
  if (latest === 0) return 0;
  return latestState === 'failed' ? serving : latest;
}

/**
 * Whether two versions run the same thing: the same image (and digest, when both are known) and the same
 * config but for the instance count, which a rollback does not take (it keeps the count of now). A restart's
 * version runs what the version it restarted ran; so does a deploy of a service nothing changed in.
 */
export function runsTheSame(a: Pick<DeployRecord, 'image' | 'digest' | 'config'>, b: Pick<DeployRecord, 'image' | 'digest' | 'config'>): boolean {
  if (a.image !== b.image || (a.digest !== undefined && b.digest !== undefined && a.digest !== b.digest)) return false;
  const { numInstances: _a, ...restA } = a.config;
  const { numInstances: _b, ...restB } = b.config;
  return isDeepStrictEqual(restA, restB);
}

/**
 * The version a rollback goes to: the newest version before the serving one whose deploy succeeded, else the
 * newest one with no outcome on record (deployed before outcomes were kept). A version known to have failed,
 * or overtaken before it ended, is never picked while another version serves: a rollback "to the previous
 * good version" that deploys a known-bad one only fails again (the user names it to get it anyway). Nor is
 * one that runs what the serving one runs (`sameAsServing`: the version a restart restarted, a deploy of
 * nothing new): after `paz restart`, a rollback would have started the same thing once more. With nothing
 * serving (every deploy failed), the one before the latest. Undefined when there is none.
 */
export function rollbackVersion(latest: number, serving: number, stateOf: (version: number) => RolloutState | undefined, sameAsServing: (version: number) => boolean = () => false): number | undefined {
  const from = serving > 0 ? serving : latest;
  for (let v = from - 1; v >= 1; v--) if (stateOf(v) === 'succeeded' && !sameAsServing(v)) return v;
  for (let v = from - 1; v >= 1; v--) if (stateOf(v) === undefined && !sameAsServing(v)) return v;
  if (serving > 0) return undefined;
  return from - 1 >= 1 ? from - 1 : undefined;
}
