/**
 * The placement loop (run by the leader): evaluate → plan → apply. It watches desired units and hosts,
 * plans with the pure `placeUnits`, and applies each decision with a compare-and-swap on the unit's record,
 * so a unit changed meanwhile (deleted, re-planned) is never overwritten with a stale decision.
 */
import type { Logger } from 'pino';
import type { Store, TxnOp } from '../store/store.js';
import { StoreLoop } from '../state/store-loop.js';
import { DEFAULT_HOST_LOSS_GRACE_SECONDS, hostRecordChanged } from '../core/heartbeat.js';
import { keys } from '../core/keys.js';
import type { DesiredUnit, HostRecord } from '../core/records.js';
import { lostUnits, placeAtDeploy, placeUnits, unplacedAfterHostLoss, type Placement } from '../core/placement.js';
import type { ServiceDoc } from '../core/service-spec.js';
import { rangeJson } from '../store/json.js';
import { chunkWrites, type GuardedOp } from '../store/chunk-ops.js';
import { HostDrains } from '../state/host-drains.js';
import { CommittedUnitsView } from '../state/committed-units-view.js';
import { PrefixView, type ViewEntry } from '../state/prefix-view.js';

export { DEFAULT_HOST_LOSS_GRACE_SECONDS };

export class PlacementLoop {
  private readonly loop: StoreLoop;
  /** when each host that units are placed on was first seen without a record (leader-local memory) */
  private readonly missingSince = new Map<string, number>();
  /**
   * units and hosts followed by watches (list-and-watch), not read in full each pass: with 10,000 units a pass
   * read and parsed all of them, several passes a second during a deploy
   */
  private readonly units: CommittedUnitsView;
  private readonly hosts: PrefixView<HostRecord>;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    /** how long a host may be gone before its units are placed elsewhere (like Nomad's heartbeat grace) */
    private readonly hostLossGraceMs = DEFAULT_HOST_LOSS_GRACE_SECONDS * 1000,
  ) {
    const onError = (err: Error) => this.logger.warn({ err }, 'placement: reading units or hosts again');
    this.units = new CommittedUnitsView(store, onError);
    // the same watch as the loop's host filter below, which compares each record with its previous value
    this.hosts = new PrefixView<HostRecord>({ store, prefix: keys.hostsPrefix(), onError, prevValues: true });
    // hosts coming, going or changing, not their heartbeats (the periodic pass sees time pass for lost hosts);
    // the latest versions too: a deploy too big for one txn is staged, then committed by a write of its latest
    // version alone, and until this loop heard of that its units waited for the periodic pass (5 s)
    this.loop = new StoreLoop({ store, name: 'placement', logger, prefixes: [keys.desiredUnitsPrefix(), { prefix: keys.hostsPrefix(), relevant: (e) => hostRecordChanged(e.prevValue, e.type === 'delete' ? undefined : e.value), prevValues: true }, keys.latestPrefix(), keys.hostDrainsPrefix()], intervalMs: 5000, pass: () => this.pass() });
  }

  start(): Promise<void> {
    return this.loop.start();
  }

  /**
   * Where a deploy's new units go in the txn that creates them (core/placement.ts placeAtDeploy), decided from
   * this loop's views: on the leader, the deploy is placed by the placement loop's own knowledge, and the
   * loop places the rest (held, constrained) as before. Every unit is then written once instead of twice.
   * The views may trail the store by a few milliseconds: that can only make the spread a little uneven.
   */
  async placeAtDeploy(fresh: DesiredUnit[]): Promise<Placement[]> {
    const [units, hostEntries, drained, services] = await Promise.all([this.units.all(), this.hosts.entries(), new HostDrains(this.store).list(), rangeJson<ServiceDoc>(this.store, keys.servicesPrefix())]);
    // a service's rule applies to its units before they exist: one staged by a deploy under way, or about to be.
    // The services are read from the store, not from a watched view: a service created before this deploy began
    // is seen for sure (a view could still be waiting for its event), and deploys are not a hot path.
    const conflictsWith = fresh.some((u) => u.conflictsWith) || services.entries.some((e) => e.value.config?.conflictsWith);
    return placeAtDeploy(fresh, units, [...hostEntries.values()].map((h) => h.value), new Set(drained.keys()), conflictsWith);
  }


  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.all([this.units.stop(), this.hosts.stop()]);
  }

  private async pass(): Promise<void> {
    const [{ entries: units }, hostEntries, drained] = await Promise.all([this.units.committed(), this.hosts.entries(), new HostDrains(this.store).list()]);
    const hosts = [...hostEntries.values()].map((h) => h.value);
    const byName = new Map(units.map((u) => [u.value.unit, u]));
    // Units of a host that stopped heartbeating go back to the pool: the next pass places them elsewhere.
    const live = new Set(hosts.map((h) => h.id));
    const writes: GuardedOp[] = [];
    const guarded = (rec: ViewEntry<DesiredUnit>, next: DesiredUnit): GuardedOp => ({
      op: { type: 'put', key: rec.key, value: JSON.stringify(next) },
      compare: { key: rec.key, target: 'modRevision', op: '=', value: rec.modRevision },
    });
    const lost = lostUnits(units.map((u) => u.value), live, this.missingSince, this.now(), this.hostLossGraceMs);
    const unplace: GuardedOp[] = lost.map((l) => {
      const rec = byName.get(l.unit)!;
      return guarded(rec, unplacedAfterHostLoss(rec.value, l.host, this.now()));
    });
    // in as few txns as the store allows, like placements; the writes wake this loop again through its
    // watch, and that pass places the units
    const lostByKey = new Map(lost.map((l) => [byName.get(l.unit)!.key, l]));
    for (const res of await this.writeAll(unplace)) {
      if (!res.succeeded) continue;
      for (const op of res.chunk.ops) {
        const l = op.type === 'put' ? lostByKey.get(op.key) : undefined;
        if (l) this.logger.warn({ unit: l.unit, host: l.host }, 'host lost; rescheduling its unit');
      }
    }
    const plan = placeUnits(
      units.map((u) => u.value),
      hosts,
      // paz host drain: nothing new goes there
      new Set(drained.keys()),
    );
    // grouped by host, so that a host's new units land in the same txn (etcd: 128 per txn), reach its agent in
    // one watch event and start together: spread over the chunks, each unit of a host came on its own and its
    // status was a write of its own (bench/scheduling, 1,000 hosts of 10 units: ~1 status write per instance)
    const byHost = [...plan.placed].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
    for (const p of byHost) {
      const rec = byName.get(p.unit)!;
      const next: DesiredUnit = { ...rec.value, host: p.host, placedAt: this.now() };
      delete next.reason;
      writes.push(guarded(rec, next));
    }
    for (const u of plan.unplaceable) {
      const rec = byName.get(u.unit)!;
      if (rec.value.reason !== u.reason) writes.push(guarded(rec, { ...rec.value, reason: u.reason }));
    }
    // as few txns as the store allows (a deploy of 1000 units is 8 txns on etcd, not 1000), sent together:
    // one after another, each waited a round trip behind the last. A txn whose unit changed meanwhile writes
    // nothing, and the pass that the change wakes plans those units again.
    for (const res of await this.writeAll(writes)) if (res.succeeded) this.logger.info({ units: res.chunk.ops.length }, 'placed');
  }

  /** Writes guarded puts in as few txns as the store allows, all under way at once. */
  private writeAll(writes: GuardedOp[]): Promise<Array<{ succeeded: boolean; chunk: { ops: TxnOp[] } }>> {
    return Promise.all(
      chunkWrites(writes, this.store.limits).map(async (chunk) => {
        const res = await this.store.txn({ compare: chunk.compare, success: chunk.ops });
        // the next pass sees these at once, not when the watch brings them back (PrefixView.wrote)
        if (res.succeeded) this.units.wrote(chunk.ops, res.revision);
        return { succeeded: res.succeeded, chunk };
      }),
    );
  }
}
