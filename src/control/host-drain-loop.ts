/**
 * The host-drain loop (run by the leader): moves units off drained hosts (`paz host drain`) as decided by the
 * pure `planHostDrains` — a replacement placed elsewhere first, the old unit retired (drained by the routers,
 * deleted by the rollout controller) once the replacement has been healthy a while — with compare-and-swap
 * writes. It wakes on drain changes and otherwise looks every second (readiness is a matter of time passing);
 * with no host drained and no move under way a pass reads one small prefix, so it costs big deploys nothing.
 * While a host is drained (a maintenance drain may last hours) it follows the units, hosts and statuses with
 * watch-fed views, opened at the first drain and closed once nothing is drained or moving: each pass used to
 * read all of them, every second (10,000 units: ~10 MB a second from the store for as long as the drain lasted).
 * Units asked to restart (`paz restart NAME --unit U`, state/unit-restarts.ts) are replaced and retired the
 * same way, wherever they are; their requests are removed once the old unit is retired or gone.
 */
import type { Logger } from 'pino';
import type { Store, TxnOp, Compare } from '../store/store.js';
import { StoreLoop } from '../state/store-loop.js';
import { keys } from '../core/keys.js';
import type { DesiredUnit, HostRecord, UnitRestartRecord, UnitStatus } from '../core/records.js';
import { planHostDrains, renumbered, type DrainAction } from '../core/placement.js';
import { raiseMark, readInstanceMark } from '../state/instance-marks.js';
import { HostDrains } from '../state/host-drains.js';
import { UnitRestarts } from '../state/unit-restarts.js';
import { CommittedUnitsView } from '../state/committed-units-view.js';
import { PrefixView, type ViewEntry } from '../state/prefix-view.js';

/** what a pass looks at while any host is drained or a move is under way */
interface DrainViews {
  units: CommittedUnitsView;
  hosts: PrefixView<HostRecord>;
  statuses: PrefixView<UnitStatus>;
}

/** a stored unit not being retired (an unreadable one counts as live: its request is kept, not dropped) */
function stillLive(value: string): boolean {
  try {
    return (JSON.parse(value) as DesiredUnit).drainingSince === undefined;
  } catch {
    return true;
  }
}

export class HostDrainLoop {
  private readonly loop: StoreLoop;
  private readonly drains: HostDrains;
  private readonly restarts: UnitRestarts;
  /** a move was under way at the last pass: keep looking after the last drain is lifted (to finish or cancel it);
   * true at first, so a new leader looks once for moves its predecessor left */
  private moving = true;
  private lastStuck = '';
  private views: DrainViews | undefined;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    intervalMs = 1000,
  ) {
    this.drains = new HostDrains(store, now);
    this.restarts = new UnitRestarts(store, now);
    this.loop = new StoreLoop({ store, name: 'host-drain', logger, prefixes: [keys.hostDrainsPrefix(), keys.unitRestartsPrefix()], intervalMs, pass: () => this.pass() });
  }

  start(): Promise<void> {
    return this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.closeViews();
  }

  private openViews(): DrainViews {
    const onError = (err: Error) => this.logger.warn({ err }, 'host drain: reading units, hosts or statuses again');
    return {
      units: new CommittedUnitsView(this.store, onError),
      hosts: new PrefixView<HostRecord>({ store: this.store, prefix: keys.hostsPrefix(), onError }),
      statuses: new PrefixView<UnitStatus>({ store: this.store, prefix: keys.unitStatusPrefix(), onError }),
    };
  }

  private async closeViews(): Promise<void> {
    const v = this.views;
    this.views = undefined;
    if (v) await Promise.all([v.units.stop(), v.hosts.stop(), v.statuses.stop()]);
  }

  private async pass(): Promise<void> {
    const [drained, restarts] = await Promise.all([this.drains.list(), this.restarts.list()]);
    if (drained.size === 0 && restarts.size === 0 && !this.moving) return this.closeViews();
    const views = (this.views ??= this.openViews());
    const [{ entries: units }, hosts, statusList] = await Promise.all([views.units.committed(), views.hosts.entries(), views.statuses.entries()]);
    const plan = planHostDrains({
      units: units.map((e) => e.value),
      hosts: [...hosts.values()].map((e) => e.value),
      drained: new Set(drained.keys()),
      statuses: new Map([...statusList.values()].map((e) => [e.value.unit, e.value])),
      now: this.now(),
      restarts: new Set(restarts.keys()),
    });
    // a move is under way while a replacement's old unit is there and not retired yet. (Not "a replacement
    // exists": a replacement keeps naming the unit it replaced for good, so after any drain this loop went on
    // reading everything every second until every such service was deployed again.)
    const live = new Map(units.map((e) => [e.value.unit, e.value]));
    this.moving = units.some(({ value: r }) => r.replaces !== undefined && r.drainingSince === undefined && live.get(r.replaces)?.drainingSince === undefined && live.has(r.replaces));
    const stuck = plan.stuck.map((s) => `${s.unit}: ${s.reason}`).join('; ');
    if (stuck !== this.lastStuck && stuck !== '') this.logger.warn({ stuck: plan.stuck }, 'host drain: some units cannot move (nowhere else to go, or their replacement cannot start)');
    this.lastStuck = stuck;
    const byName = new Map(units.map((e) => [e.value.unit, e]));
    for (const a of plan.actions) await this.apply(a, byName, views, restarts);
  }

  private async apply(a: DrainAction, units: Map<string, ViewEntry<DesiredUnit>>, views: DrainViews, restarts: ReadonlyMap<string, UnitRestartRecord>): Promise<void> {
    const unchanged = (e: ViewEntry<DesiredUnit>): Compare => ({ key: e.key, target: 'modRevision', op: '=', value: e.modRevision });
    let compare: Compare[];
    let op: TxnOp;
    if (a.type === 'restarted') {
      // the old unit is retired or gone: the request is done. "Gone" is checked in the store itself: the view may
      // not have heard yet of a unit written a moment ago (a request is refused for units that do not exist)
      const record = restarts.get(a.unit);
      const kv = record ? await this.store.get(keys.desiredUnit(record.service, a.unit)) : undefined;
      if (kv && stillLive(kv.value)) return;
      await this.store.txn({ compare: [], success: [{ type: 'delete', key: keys.unitRestart(a.unit) }] });
      this.logger.info({ unit: a.unit }, 'unit restart: done');
      return;
    }
    let replacement: DesiredUnit | undefined;
    let markOp: TxnOp | undefined;
    if (a.type === 'replace') {
      const old = units.get(a.unit);
      if (!old) return;
      // the plan numbered the replacement after the entries it saw; a number handed out before whose entry is
      // gone is never handed out again (its unit may still run where an agent is away: instance-marks.ts)
      const mark = await readInstanceMark(this.store, a.replacement.service, a.replacement.version);
      replacement = a.replacement.instance > mark.issued ? a.replacement : renumbered(a.replacement, mark.issued + 1);
      const raise = raiseMark(mark, replacement.instance);
      const key = keys.desiredUnit(replacement.service, replacement.unit);
      // the old unit as planned, no unit of that name yet, and the mark as read
      compare = [unchanged(old), { key, target: 'createRevision', op: '=', value: 0 }, raise.compare];
      op = { type: 'put', key, value: JSON.stringify(replacement) };
      markOp = raise.op;
    } else if (a.type === 'retire') {
      const old = units.get(a.unit);
      if (!old) return;
      compare = [unchanged(old)];
      op = { type: 'put', key: old.key, value: JSON.stringify({ ...old.value, drainingSince: this.now() } satisfies DesiredUnit) };
    } else {
      const r = units.get(a.unit);
      if (!r) return;
      compare = [unchanged(r)];
      op = { type: 'delete', key: r.key };
    }
    const res = await this.store.txn({ compare, success: markOp ? [markOp, op] : [op] });
    if (!res.succeeded) return;
    // the next pass sees its own write at once, not when the watch brings it back (PrefixView.wrote)
    views.units.wrote([op], res.revision);
    if (a.type === 'replace') this.logger.info({ unit: a.unit, replacement: replacement?.unit }, a.cause === 'restart' ? 'unit restart: replacing the unit' : 'host drain: replacing a unit of a drained host');
    else if (a.type === 'retire') this.logger.info({ unit: a.unit, by: a.by }, 'host drain: replacement healthy; retiring the old unit');
    else this.logger.info({ unit: a.unit, of: a.of }, 'host undrained before the move finished: replacement cancelled');
  }
}
