/**
 * The scheduler's records: versions, their snapshots, the journal, and the desired units a deploy creates.
 * A deploy is committed by one store transaction guarded by compare-and-swap on the service's latest
 * version, so two concurrent deploys can never take the same version number (a Paz defect). How a
 * deploy or scale too big for one txn gets into the store is chunked-writes.ts's job.
 */
import type { Store, TxnOp } from '../store/store.js';
import { PazError } from '../core/errors.js';
import { keys } from '../core/keys.js';
import type { ServiceDoc } from '../core/service-spec.js';
import type { DeployRecord, DeployTrigger, HostRecord, JournalEntry, JournalEvent } from '../core/records.js';
import { planDeploy, resolveDeployImage, desiredUnitsFor, strategyNeedsHosts } from '../core/deploy-plan.js';
import { rollbackVersion, runsTheSame, scaleVersion, type RolloutStatus } from '../core/rollout-policy.js';
import type { DesiredUnit } from '../core/records.js';
import type { Placement } from '../core/placement.js';
import { getJson, getJsonEntry, rangeJson } from '../store/json.js';
import { serviceNotFound } from './service-docs.js';
import { DigestResolver } from './digest-resolver.js';
import { VersionDigests } from './version-digests.js';
import { ChunkedWrites, type ScalePlan } from './chunked-writes.js';
import { raiseMark, readInstanceMark } from './instance-marks.js';
import { firstFreeInstance } from '../core/unit-name.js';

const MAX_CAS_ATTEMPTS = 20;

export interface DeployRequest {
  /** repository named by the caller (deploy hook), checked against the service's */
  repository?: string;
  /** tag to deploy (registry push) */
  tag?: string;
  /** deploy this snapshot again (rollback, restart) instead of the service's current config: all of it but the instance count, which is the service's now */
  fromRecord?: DeployRecord;
  trigger: DeployTrigger;
}

/** What `GET /journal` shows without asking for more: Paz's journal held deploys only. */
export const PAZ_JOURNAL_EVENTS: readonly JournalEvent[] = ['deploy'];

export interface JournalView extends JournalEntry {
  config: DeployRecord['config'] | Record<string, never>;
}

/** Where a deploy's new units go as it writes them (the leader's placement loop: ControlLoops.placeAtDeploy). */
export type DeployPlacer = (fresh: DesiredUnit[]) => Promise<Placement[]>;

/**
 * The units in host order (unplaced ones last), so that a deploy too big for one txn, staged in chunks, brings
 * each agent its units in one chunk: in instance order a chunk held one unit of each of 128 hosts, so a host
 * of ten units heard of them in ten watch events, started them in ten waves and wrote ten status txns.
 */
function byHost(units: DesiredUnit[]): DesiredUnit[] {
  return [...units].sort((a, b) => (a.host === b.host ? 0 : a.host === null ? 1 : b.host === null ? -1 : a.host < b.host ? -1 : 1));
}

export class Deploys {
  private readonly pins: VersionDigests;
  readonly writes: ChunkedWrites;
  private placer: DeployPlacer | undefined;

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
    private readonly digests: DigestResolver = new DigestResolver(),
  ) {
    this.pins = new VersionDigests(store);
    this.writes = new ChunkedWrites(store, (name, count, actor) => this.planScale(name, count, actor), now);
  }

  /**
   * Deploys place what they can as they write it (see core/placement.ts placeAtDeploy), asking `placer`; without
   * one (a process that runs no control loops) every unit is written unplaced and the leader's loop places it.
   */
  placeWith(placer: DeployPlacer): void {
    this.placer = placer;
  }

  /** Sets the host of each unit `placer` places (in place); a placer that fails leaves them to the loop. */
  private async place(units: DesiredUnit[], now: number): Promise<void> {
    // unplaced, they are placed by the placement loop a moment later, as they always were
    const placed = this.placer ? await this.placer(units).catch(() => []) : [];
    if (placed.length === 0) return;
    const host = new Map(placed.map((p) => [p.unit, p.host]));
    for (const u of units) {
      const h = host.get(u.unit);
      if (h === undefined) continue;
      u.host = h;
      u.placedAt = now;
      delete u.reason;
    }
  }

  /**
   * The digest a deploy pins: a rollback keeps its record's; otherwise the registry is asked once, before the
   * transaction (a moved tag between CAS attempts must not change what was resolved). Undefined: the first
   * pull records it (VersionDigests).
   */
  private async resolveDigest(name: string, req: DeployRequest): Promise<{ image?: string; digest?: string }> {
    if (req.fromRecord) return { image: req.fromRecord.image, digest: req.fromRecord.digest };
    const svc = await getJson<ServiceDoc>(this.store, keys.service(name));
    if (!svc) throw serviceNotFound(name);
    const image = resolveDeployImage(svc.dockerRepository, req.repository, req.tag);
    return { image, digest: (await this.digests.resolve(image)).digest };
  }

  async latestVersion(name: string): Promise<number> {
    const kv = await this.store.get(keys.latest(name));
    return kv ? Number(kv.value) : 0;
  }

  /**
   * The version that serves: the last one whose deploy succeeded, recorded beside the latest when the
   * deploy succeeds (a failed version never serves); 0 when none does (never deployed, first deploy still
   * running or failed, service deleted). Services deployed before that record existed: the newest version
   * that succeeded.
   */
  async servingVersion(name: string): Promise<number> {
    const kv = await this.store.get(keys.serving(name));
    if (kv) return Number(kv.value);
    for (let v = await this.latestVersion(name); v >= 1; v--) {
      if ((await this.rolloutStatus(name, v))?.state === 'succeeded') return v;
    }
    return 0;
  }

  /** The serving version's record, else (nothing serves yet) the latest's: what `config/last` shows. */
  async current(name: string): Promise<DeployRecord> {
    const serving = await this.servingVersion(name);
    return serving > 0 ? this.version(name, serving) : this.latest(name);
  }

  async deploy(name: string, req: DeployRequest): Promise<DeployRecord> {
    const resolved = await this.resolveDigest(name, req);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const svc = await getJsonEntry<ServiceDoc>(this.store, keys.service(name));
      if (!svc) throw serviceNotFound(name);
      const latestKv = await this.store.get(keys.latest(name));
      const latestVersion = latestKv ? Number(latestKv.value) : 0;
      // a snapshot deployed again (rollback, restart) runs with the instance count of now: the count is the
      // service's, changed by `scale` without a version (as Heroku's formation and a Deployment's replicas are
      // kept by a rollback); a rollback after scaling up for a spike used to bring back the old count
      const source = req.fromRecord
        ? { name, description: req.fromRecord.description, dockerRepository: req.fromRecord.dockerRepository, config: { ...req.fromRecord.config, numInstances: svc.value.config.numInstances } }
        : svc.value;
      const image = req.fromRecord ? req.fromRecord.image : resolveDeployImage(svc.value.dockerRepository, req.repository, req.tag);
      const now = this.now();
      const hosts = strategyNeedsHosts(source.config) ? (await rangeJson<HostRecord>(this.store, keys.hostsPrefix())).entries.map((e) => e.value) : [];
      // the service's repository may have changed since the digest was resolved: pin only the image asked about
      const pinned = resolved.image === image ? resolved.digest : undefined;
      const plan = planDeploy({ service: source, latestVersion, image, digest: pinned, trigger: req.trigger, now, hosts });
      const status: RolloutStatus = { service: name, version: plan.record.version, state: 'deploying', strategy: plan.strategy, startedAt: now };
      if (plan.strategyReason) status.strategyReason = plan.strategyReason;
      await this.place(plan.units, now);
      const committed = await this.writes.deploy({
        service: name,
        version: plan.record.version,
        compare: [
          { key: keys.latest(name), target: 'modRevision', op: '=', value: latestKv?.modRevision ?? 0 },
          { key: svc.key, target: 'modRevision', op: '=', value: svc.kv.modRevision },
        ],
        commitOps: [
          { type: 'put', key: keys.latest(name), value: String(plan.record.version) },
          { type: 'put', key: keys.deploy(name, plan.record.version), value: JSON.stringify(plan.record) },
          { type: 'put', key: keys.journal(now, name, plan.record.version, plan.journal.event), value: JSON.stringify(plan.journal) },
          { type: 'put', key: keys.rolloutStatus(name, plan.record.version), value: JSON.stringify(status) },
          // a new version: no mark yet (instance-marks.ts)
          { type: 'put', key: keys.instancesIssued(name, plan.record.version), value: String(firstFreeInstance(0, plan.units.map((u) => u.instance)) - 1) },
        ],
        unitOps: byHost(plan.units).map((u) => ({ type: 'put' as const, key: keys.desiredUnit(name, u.unit), value: JSON.stringify(u) })),
      });
      if (committed) return plan.record;
    }
    throw new PazError('CONFLICT', `service "${name}" is being deployed by someone else right now: try again`);
  }

  async latest(name: string): Promise<DeployRecord> {
    const v = await this.latestVersion(name);
    if (v === 0) {
      throw new PazError('NOT_DEPLOYED', `service "${name}" has not been deployed yet: deploy it with POST /hooks/deploy {"serviceName":"${name}"}`, { name });
    }
    return this.version(name, v);
  }

  async version(name: string, version: number): Promise<DeployRecord> {
    const rec = await getJson<DeployRecord>(this.store, keys.deploy(name, version));
    if (!rec) {
      const latest = await this.latestVersion(name);
      const hint = latest === 0 ? 'it has never been deployed' : `versions go from 1 to ${latest}`;
      throw new PazError('VERSION_NOT_FOUND', `service "${name}" has no version ${version}: ${hint}`, { name, version });
    }
    if (!rec.digest) {
      const atFirstPull = await this.pins.get(name, version);
      if (atFirstPull) rec.digest = atFirstPull;
    }
    return rec;
  }

  /** Every deployed version, oldest first, with the digest it is pinned to (recorded at deploy or first pull). */
  async records(name: string): Promise<DeployRecord[]> {
    const recs = (await rangeJson<DeployRecord>(this.store, keys.deploysOf(name))).entries.map((r) => r.value);
    const atFirstPull = await this.pins.all(name);
    for (const r of recs) {
      const d = atFirstPull.get(r.version);
      if (!r.digest && d) r.digest = d;
    }
    return recs.sort((a, b) => a.version - b.version);
  }

  /** Every version's record with its deploy's outcome (deploying, succeeded, failed and why), for the history views. */
  async recordsWithOutcome(name: string): Promise<Array<DeployRecord & { outcome?: Pick<RolloutStatus, 'state' | 'reason' | 'startedAt' | 'finishedAt'> }>> {
    const recs = await this.records(name);
    const statuses = new Map((await rangeJson<RolloutStatus>(this.store, keys.rolloutStatusesOf(name))).entries.map((e) => [e.value.version, e.value]));
    return recs.map((r) => {
      const s = statuses.get(r.version);
      return s ? { ...r, outcome: { state: s.state, reason: s.reason, startedAt: s.startedAt, finishedAt: s.finishedAt } } : r;
    });
  }

  /** `{"1": config, "2": config, ...}` as Paz's scheduler answered. */
  async history(name: string): Promise<Record<string, DeployRecord['config']>> {
    const out: Record<string, DeployRecord['config']> = {};
    for (const r of await this.records(name)) out[String(r.version)] = r.config;
    return out;
  }

  async rolloutStatus(name: string, version: number): Promise<RolloutStatus | undefined> {
    return getJson<RolloutStatus>(this.store, keys.rolloutStatus(name, version));
  }

  /**
   * The version a rollback goes to: the newest version before the serving one whose deploy succeeded
   * (rules in rollbackVersion).
   */
  async rollbackTarget(name: string): Promise<DeployRecord> {
    const latest = await this.latestVersion(name);
    const serving = await this.servingVersion(name);
    const states = new Map((await rangeJson<RolloutStatus>(this.store, keys.rolloutStatusesOf(name))).entries.map((e) => [e.value.version, e.value.state]));
    const records = serving > 0 ? new Map((await this.records(name)).map((r) => [r.version, r])) : undefined;
    const servingRecord = records?.get(serving);
    const same = (v: number) => servingRecord !== undefined && records!.has(v) && runsTheSame(records!.get(v)!, servingRecord);
    const target = rollbackVersion(latest, serving, (v) => states.get(v), same);
    if (target === undefined) {
      const earlier: number[] = [];
      for (let v = serving - 1; v >= 1; v--) earlier.push(v);
      if (earlier.length > 0) {
        const why = (v: number) => (states.get(v) === 'failed' ? 'failed' : same(v) ? `runs what ${serving} runs` : states.get(v) === 'succeeded' ? 'succeeded' : 'never finished');
        const alsoSame = earlier.some((v) => states.get(v) !== 'failed' && same(v));
        throw new PazError('VERSION_NOT_FOUND', `service "${name}" has no version before version ${serving} (which serves) whose deploy succeeded${alsoSame ? ' and that runs something else' : ''} (${earlier.map((v) => `${v} ${why(v)}`).join(', ')}): to deploy one of them again, name it ({"version": ${earlier[0]}})`, { name, serving, earlier });
      }
      const what = latest === 0 ? 'never been deployed' : serving > 0 ? `no version before version ${serving}, which serves` : 'only one version';
      throw new PazError('VERSION_NOT_FOUND', `service "${name}" has ${what}: there is nothing to roll back to`, { name });
    }
    return this.version(name, target);
  }

  /** Rolls back: deploys version `version`'s snapshot (default: the previous good one) as a new version, with the count of now. */
  async rollback(name: string, version?: number, actor?: string): Promise<DeployRecord> {
    const target = version === undefined ? await this.rollbackTarget(name) : await this.version(name, version);
    return this.deploy(name, { fromRecord: target, trigger: { source: 'rollback', rollbackOf: target.version, ...(actor ? { actor } : {}) } });
  }

  /**
   * Restarts the service: the serving version's snapshot, pinned to the same image digest, deployed as a new
   * version through the usual rollout, so every instance is replaced by a fresh one with no request lost
   * (Heroku's `restart`, kubectl's `rollout restart`). The count is the service's instance count now (a
   * `scale` since that version was deployed holds), and nothing else pending in the next config goes with it:
   * a restart changes nothing but the instances. Refused while a deploy runs (it would overtake it) and
   * when nothing serves or runs.
   */
  async restart(name: string, actor?: string): Promise<DeployRecord> {
    const svc = await getJson<ServiceDoc>(this.store, keys.service(name));
    if (!svc) throw serviceNotFound(name);
    const latest = await this.latestVersion(name);
    if (latest === 0) throw new PazError('NOT_DEPLOYED', `service "${name}" has not been deployed yet: there is nothing to restart`, { name });
    if ((await this.rolloutStatus(name, latest))?.state === 'deploying') {
      throw new PazError('CONFLICT', `service "${name}" is deploying version ${latest} right now: restart it once that rollout ends (GET /services/${name}/rollout follows it)`, { name, deploying: latest });
    }
    const serving = await this.servingVersion(name);
    if (serving === 0) throw new PazError('NOT_DEPLOYED', `no version of service "${name}" serves (version ${latest} failed): there is nothing to restart; deploy a version that starts`, { name, latest });
    if (svc.config.numInstances === 0) throw new PazError('CONFLICT', `service "${name}" runs no instances (scaled to 0): there is nothing to restart`, { name, numInstances: 0 });
    const target = await this.version(name, serving);
    return this.deploy(name, { fromRecord: target, trigger: { source: 'restart', restartOf: serving, ...(actor ? { actor } : {}) } });
  }

  /**
   * Scales the running version without a new version: adds instances (numbered after the highest) or
   * drains the highest-numbered ones; the service's config says the new count for later deploys. The
   * running version is the latest, or the serving one when the latest failed (never a failed version).
   * Instances added while a deploy runs are held: the rollout releases them as it releases its own.
   */
  async scale(name: string, count: number, actor?: string): Promise<{ version: number; added: string[]; draining: string[] }> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const { done, plan } = await this.writes.scale(name, count, actor);
      if (done) return { version: plan.version, added: plan.added, draining: plan.draining };
    }
    throw new PazError('CONFLICT', `service "${name}" is being changed by others right now: try again`);
  }

  /**
   * What a scale to `count` writes, from the store's current state: the service doc's new count, the
   * added instances (numbered after the highest) and the drains of the highest-numbered ones. Planned
   * again by chunked-writes.ts until nothing is left, so it only ever plans what is still missing.
   */
  private async planScale(name: string, count: number, actor?: string): Promise<ScalePlan> {
    const svc = await getJsonEntry<ServiceDoc>(this.store, keys.service(name));
    if (!svc) throw serviceNotFound(name);
    const latestVersion = await this.latestVersion(name);
    const latestState = latestVersion > 0 ? (await this.rolloutStatus(name, latestVersion))?.state ?? 'deploying' : undefined;
    // the serving version after the latest failed: never the failed one (rollout-policy.ts scaleVersion)
    const version = scaleVersion(latestVersion, latestState, await this.servingVersion(name));
    // instances added while the version deploys start as its rollout allows
    const holdNew = version === latestVersion && latestState === 'deploying';
    const now = this.now();
    const doc: ServiceDoc = { ...svc.value, config: { ...svc.value.config, numInstances: count }, lastModifiedTime: now };
    const plan: ScalePlan = {
      version,
      intent: { op: { type: 'put', key: svc.key, value: JSON.stringify(doc) }, compare: { key: svc.key, target: 'modRevision', op: '=', value: svc.kv.modRevision } },
      unitWrites: [],
      added: [],
      draining: [],
    };
    if (version > 0) {
      const [rec, { entries }, mark] = await Promise.all([this.version(name, version), rangeJson<DesiredUnit>(this.store, keys.desiredUnitsOf(name)), readInstanceMark(this.store, name, version)]);
      const live = entries.filter((e) => e.value.version === version && e.value.drainingSince === undefined).sort((a, b) => a.value.instance - b.value.instance);
      // never a number handed out before, even one whose entry is gone (instance-marks.ts)
      const first = firstFreeInstance(mark.issued, entries.filter((e) => e.value.version === version).map((e) => e.value.instance));
      const added = Math.max(0, count - live.length);
      // the mark goes first, so a scale written in chunks raises it before any unit it numbered lands
      if (first - 1 + added !== mark.issued) plan.unitWrites.push(raiseMark(mark, first - 1 + added));
      if (added > 0) {
        const fresh = desiredUnitsFor(rec, added, now, first);
        for (const u of fresh) if (holdNew) Object.assign(u, { hold: true, reason: `held: version ${version} is being deployed; its rollout starts it` });
        await this.place(fresh, now);
        for (const u of byHost(fresh)) {
          const key = keys.desiredUnit(name, u.unit);
          plan.unitWrites.push({ op: { type: 'put', key, value: JSON.stringify(u) }, compare: { key, target: 'createRevision', op: '=', value: 0 } });
        }
        plan.added.push(...fresh.map((u) => u.unit));
      }
      for (const e of live.slice(count)) {
        plan.unitWrites.push({ op: { type: 'put', key: e.key, value: JSON.stringify({ ...e.value, drainingSince: now }) }, compare: { key: e.key, target: 'modRevision', op: '=', value: e.kv.modRevision } });
        plan.draining.push(e.value.unit);
      }
      const entry: JournalEntry = { event: 'scale', serviceName: name, version, timestamp: now, message: `scaled version ${version} from ${live.length} to ${count} instance${count === 1 ? '' : 's'}`, ...(actor ? { actor } : {}) };
      plan.journal = { type: 'put', key: keys.journal(now, name, version, 'scale'), value: JSON.stringify(entry) } satisfies TxnOp;
    }
    return plan;
  }

  /** `keyEnd` tells apart entries of one kind, service and version in the same millisecond (default: the event) */
  async appendJournal(entry: JournalEntry, keyEnd: string = entry.event): Promise<void> {
    await this.store.put(keys.journal(entry.timestamp, entry.serviceName, entry.version, keyEnd), JSON.stringify(entry));
  }

  /**
   * The journal, newest first, each entry with the config of the version it names
   * (Paz's shape). Paz's journal held deploys only, so that is the default; `events` asks for other kinds
   * (rollback, scale, deploy-succeeded, deploy-failed, service-deleted), `all` for every kind.
   */
  async journal(filter?: { service?: string; limit?: number; events?: readonly string[]; all?: boolean }): Promise<JournalView[]> {
    let entries = (await rangeJson<JournalEntry>(this.store, keys.journalPrefix())).entries.map((r) => r.value);
    if (!filter?.all) {
      const wanted = new Set<string>(filter?.events?.length ? filter.events : PAZ_JOURNAL_EVENTS);
      entries = entries.filter((e) => wanted.has(e.event));
    }
    if (filter?.service) entries = entries.filter((e) => e.serviceName === filter.service);
    if (filter?.limit) entries = entries.slice(-filter.limit);
    // newest first, as the issue and Paz's UI show it (the store keeps them in time order)
    entries.reverse();
    const cache = new Map<string, DeployRecord | undefined>();
    const out: JournalView[] = [];
    for (const e of entries) {
      const k = keys.deploy(e.serviceName, e.version);
      if (!cache.has(k)) cache.set(k, await getJson<DeployRecord>(this.store, k));
      out.push({ ...e, config: cache.get(k)?.config ?? {} });
    }
    return out;
  }
}
