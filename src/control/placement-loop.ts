/**
 * The placement loop (run by the leader): evaluate → plan → apply. It watches desired units and hosts,
 * plans with the pure `placeUnits`, and applies each decision with a compare-and-swap on the unit's record,
 * so a unit changed meanwhile (deleted, re-planned) is never overwritten with a stale decision.
 */
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import { StoreLoop } from '../state/store-loop.js';
import { keys } from '../core/keys.js';
import type { DesiredUnit, HostRecord } from '../core/records.js';
import { placeUnits } from '../core/placement.js';
import { rangeJson } from '../store/json.js';

export class PlacementLoop {
  private readonly loop: StoreLoop;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.loop = new StoreLoop({ store, name: 'placement', logger, prefixes: [keys.desiredUnitsPrefix(), keys.hostsPrefix()], intervalMs: 5000, pass: () => this.pass() });
  }

  start(): Promise<void> {
    return this.loop.start();
  }


  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async pass(): Promise<void> {
    const [units, hosts] = await Promise.all([
      rangeJson<DesiredUnit>(this.store, keys.desiredUnitsPrefix()),
      rangeJson<HostRecord>(this.store, keys.hostsPrefix()),
    ]);
    const plan = placeUnits(
      units.entries.map((u) => u.value),
      hosts.entries.map((h) => h.value),
    );
    const byName = new Map(units.entries.map((u) => [u.value.unit, u]));
    for (const p of plan.placed) {
      const rec = byName.get(p.unit)!;
      const next: DesiredUnit = { ...rec.value, host: p.host, placedAt: this.now() };
      delete next.reason;
      const res = await this.store.txn({ compare: [{ key: rec.key, target: 'modRevision', op: '=', value: rec.kv.modRevision }], success: [{ type: 'put', key: rec.key, value: JSON.stringify(next) }] });
      if (res.succeeded) this.logger.info({ unit: p.unit, host: p.host }, 'placed');
    }
    for (const u of plan.unplaceable) {
      const rec = byName.get(u.unit)!;
      if (rec.value.reason === u.reason) continue;
      const next: DesiredUnit = { ...rec.value, reason: u.reason };
      await this.store.txn({ compare: [{ key: rec.key, target: 'modRevision', op: '=', value: rec.kv.modRevision }], success: [{ type: 'put', key: rec.key, value: JSON.stringify(next) }] });
    }
  }
}
