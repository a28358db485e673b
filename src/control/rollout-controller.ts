/**
 * The rollout controller (control plane): watches desired units, unit status and deploys, asks the pure
 * `decideRollout` what to do for each service, and applies it with compare-and-swap writes, journalling
 * each deploy's outcome (deploy-succeeded / deploy-failed with the reason). A success records the version
 * as the serving one in the same transaction; a failure leaves the serving version as it was.
 */
import type { Logger } from 'pino';
import type { Compare, Store, TxnOp } from '../store/store.js';
import { planFailWrite } from './fail-write.js';
import { StoreLoop } from '../state/store-loop.js';
import { keys } from '../core/keys.js';
import type { DeployRecord, DesiredUnit, HostRecord, JournalEntry, UnitStatus } from '../core/records.js';
import { drainedUnits, type RouterReport } from '../core/router-report.js';
import { decideRollout, type RolloutAction, type RolloutStatus } from '../core/rollout-policy.js';
import { getJson, getJsonEntry, rangeJson } from '../store/json.js';
import { chunkWrites, type GuardedOp } from '../store/chunk-ops.js';
import { raiseMark, readInstanceMark, type InstanceMark } from '../state/instance-marks.js';
import { Deploys } from '../state/deploys.js';
import { CommittedUnitsView } from '../state/committed-units-view.js';
import { PrefixView, type ViewEntry } from '../state/prefix-view.js';

type OutcomeAction = Extract<RolloutAction, { type: 'succeed' | 'fail' }>;
type UnitAction = Exclude<RolloutAction, OutcomeAction>;

export class RolloutController {
  private readonly loop: StoreLoop;
  private readonly deploys: Deploys;
  /**
   * units and statuses followed by watches (list-and-watch), not read in full each pass: with 10,000 units a
   * pass read and parsed 20,000 keys, several passes a second during a deploy
   */
  private readonly units: CommittedUnitsView;
  private readonly statuses: PrefixView<UnitStatus>;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    // deadlines and drain times pass without any write: look again every interval
    intervalMs = 1000,
  ) {
    this.deploys = new Deploys(store, now);
    const onError = (err: Error) => this.logger.warn({ err }, 'rollouts: reading units or statuses again');
    this.units = new CommittedUnitsView(store, onError);
    this.statuses = new PrefixView<UnitStatus>({ store, prefix: keys.unitStatusPrefix(), onError });
    const prefixes = [keys.desiredUnitsPrefix(), keys.unitStatusPrefix(), '/paz/scheduler/latest/', keys.routersPrefix()];
    this.loop = new StoreLoop({ store, name: 'rollouts', logger, prefixes, intervalMs, pass: () => this.pass() });
  }

  start(): Promise<void> {
    return this.loop.start();
  }


  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.all([this.units.stop(), this.statuses.stop()]);
  }

  private async pass(): Promise<void> {
    const [{ entries: units, latest: latestVersions }, statusEntries] = await Promise.all([this.units.committed(), this.statuses.entries()]);
    const statuses = new Map<string, UnitStatus>();
    for (const e of statusEntries.values()) statuses.set(e.value.unit, e.value);
    const drained = await this.drained(units);
    const byService = new Map<string, Array<ViewEntry<DesiredUnit>>>();
    // every service, also those with no units (a deploy of 0 instances still has to finish)
    for (const kv of (await this.store.range(keys.servicesPrefix())).kvs) byService.set(kv.key.slice(keys.servicesPrefix().length), []);
    for (const e of units) {
      const list = byService.get(e.value.service);
      if (list) list.push(e);
      else byService.set(e.value.service, [e]);
    }
    for (const [service, entries] of byService) {
      // the latest version the units were taken at, not a fresher read of it: a deploy whose commit the view
      // had not heard of yet was judged on none of its units ("healthy with 0 instances")
      const version = latestVersions.get(service) ?? 0;
      const latest = version ? await getJson<DeployRecord>(this.store, keys.deploy(service, version)) : undefined;
      const status = version ? await getJson<RolloutStatus>(this.store, keys.rolloutStatus(service, version)) : undefined;
      const serving = latest ? await this.deploys.servingVersion(service) : 0;
      // only a failing recreate needs it (to start the serving version again)
      // (with its instance mark: the restore numbers its instances after every number handed out before)
      const [servingRecord, servingMark] = status?.state !== 'succeeded' && status?.state !== 'failed' && serving > 0 ? await Promise.all([getJson<DeployRecord>(this.store, keys.deploy(service, serving)), readInstanceMark(this.store, service, serving)]) : [];
      const actions = decideRollout({ latest, status, serving, servingRecord, servingIssued: servingMark?.issued, units: entries.map((e) => e.value), statuses, now: this.now(), drained });
      const byUnit = new Map(entries.map((e) => [e.value.unit, e]));
      // unit actions (release, drain, delete) go out together in as few txns as the store allows, each unit
      // guarded by its own modRevision: one txn per unit, one after another, was a round trip per instance
      // (a 1000-instance rolling deploy drained and deleted its old instances one by one). A deploy's outcome
      // is written after the unit actions decided before it, as when each was applied in turn.
      let pending: UnitAction[] = [];
      for (const a of actions) {
        if (a.type === 'succeed' || a.type === 'fail') {
          await this.applyUnitActions(pending, byUnit);
          pending = [];
          await this.apply(service, a, servingMark);
        } else {
          pending.push(a);
        }
      }
      await this.applyUnitActions(pending, byUnit);
    }
  }

  /** Draining units no router has a request in flight on (only read while something drains). */
  private async drained(units: Array<ViewEntry<DesiredUnit>>): Promise<Set<string>> {
    if (!units.some((e) => e.value.drainingSince !== undefined)) return new Set();
    const [hosts, reports] = await Promise.all([rangeJson<HostRecord>(this.store, keys.hostsPrefix()), rangeJson<RouterReport>(this.store, keys.routersPrefix())]);
    return drainedUnits({
      units: units.map((e) => ({ unit: e.value, modRevision: e.modRevision })),
      hosts: hosts.entries.map((e) => e.value),
      reports: new Map(reports.entries.map((e) => [e.value.host, e.value])),
    });
  }

  /** `servingMark`: the serving version's instance mark as the decision read it, raised past a restore's instances */
  private async apply(service: string, a: OutcomeAction, servingMark?: InstanceMark): Promise<void> {
    const now = this.now();
    const key = keys.rolloutStatus(service, a.version);
    const current = await getJsonEntry<RolloutStatus>(this.store, key);
    if (current && current.value.state !== 'deploying') return;
    const next: RolloutStatus = {
      ...current?.value,
      service,
      version: a.version,
      state: a.type === 'succeed' ? 'succeeded' : 'failed',
      startedAt: current?.value.startedAt ?? now,
      finishedAt: now,
      ...(a.type === 'fail' ? { reason: a.reason } : {}),
    };
    const entry: JournalEntry = {
      event: a.type === 'succeed' ? 'deploy-succeeded' : 'deploy-failed',
      serviceName: service,
      version: a.version,
      timestamp: now,
      message: a.type === 'succeed' ? a.message : a.reason,
    };
    const compare: Compare[] = [{ key, target: 'modRevision', op: '=', value: current?.kv.modRevision ?? 0 }];
    const commitOps: TxnOp[] = [
      { type: 'put', key, value: JSON.stringify(next) },
      { type: 'put', key: keys.journal(now, service, a.version, entry.event), value: JSON.stringify(entry) },
      ...(a.type === 'succeed' ? [{ type: 'put' as const, key: keys.serving(service), value: String(a.version) }] : []),
    ];
    const restoreOps: TxnOp[] = a.type === 'fail' ? (a.restore ?? []).map((u) => ({ type: 'put' as const, key: keys.desiredUnit(service, u.unit), value: JSON.stringify(u) })) : [];
    if (restoreOps.length > 0 && a.type === 'fail' && servingMark) {
      // the mark is raised with the outcome, last: a restore written in part before a controller died is decided
      // again by its successor under the same numbers (the mark unchanged), and completed, not added to
      const raise = raiseMark(servingMark, Math.max(servingMark.issued, ...a.restore!.map((u) => u.instance)));
      compare.push(raise.compare);
      commitOps.push(raise.op);
    }
    // a big restore (over etcd's 128 ops per txn) goes first in chunks, the outcome last (fail-write.ts)
    const plan = planFailWrite(commitOps, restoreOps, compare, this.store.limits);
    for (const ops of plan.before) {
      const chunk = await this.store.txn({ compare, success: ops });
      if (!chunk.succeeded) return;
      // the units view must see the restored units before the next pass decides on them
      this.units.wrote(ops, chunk.revision);
    }
    const res = await this.store.txn({ compare, success: plan.commit });
    if (res.succeeded) this.units.wrote(plan.commit, res.revision);
    if (res.succeeded) (a.type === 'succeed' ? this.logger.info.bind(this.logger) : this.logger.warn.bind(this.logger))({ service, version: a.version }, entry.message!);
  }

  private async applyUnitActions(actions: UnitAction[], units: Map<string, ViewEntry<DesiredUnit>>): Promise<void> {
    if (actions.length === 0) return;
    const now = this.now();
    const writes: Array<GuardedOp & { action: UnitAction }> = [];
    const keysTaken = new Set<string>();
    for (const a of actions) {
      const e = units.get(a.unit);
      // one write per key in a txn (etcd refuses a txn naming a key twice)
      if (!e || keysTaken.has(e.key)) continue;
      keysTaken.add(e.key);
      let op: TxnOp;
      if (a.type === 'delete') op = { type: 'delete', key: e.key };
      else if (a.type === 'drain') op = { type: 'put', key: e.key, value: JSON.stringify({ ...e.value, drainingSince: now }) };
      else {
        const { hold: _released, ...rest } = e.value;
        // the unit's deadline counts from now
        op = { type: 'put', key: e.key, value: JSON.stringify({ ...rest, releasedAt: now, reason: 'waiting for placement' } satisfies DesiredUnit) };
      }
      writes.push({ op, compare: { key: e.key, target: 'modRevision', op: '=', value: e.modRevision }, action: a });
    }
    const actionOf = new Map(writes.map((w) => [w.op.type === 'deletePrefix' ? w.op.prefix : w.op.key, w.action]));
    // a txn whose unit changed meanwhile writes nothing; that change wakes the next pass, which decides again
    await Promise.all(
      chunkWrites(writes, this.store.limits).map(async (chunk) => {
        const res = await this.store.txn({ compare: chunk.compare, success: chunk.ops });
        if (!res.succeeded) return;
        this.units.wrote(chunk.ops, res.revision);
        for (const op of chunk.ops) {
          const a = actionOf.get(op.type === 'deletePrefix' ? op.prefix : op.key);
          if (a) this.logger.info({ unit: a.unit }, a.type === 'delete' ? 'retired' : a.type === 'drain' ? 'draining' : 'released');
        }
      }),
    );
  }
}
