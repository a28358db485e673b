/**
 * The placement loop (run by the leader): evaluate → plan → apply. It watches desired units and hosts,
 * plans with the pure `placeUnits`, and applies each decision with a compare-and-swap on the unit's record,
 * so a unit changed meanwhile (deleted, re-planned) is never overwritten with a stale decision.
 */
import type { Logger } from 'pino';
import type { Store, Watch } from '../store/store.js';
import { keys } from '../core/keys.js';
import type { DesiredUnit, HostRecord } from '../core/records.js';
import { placeUnits } from '../core/placement.js';
import { rangeJson } from '../store/json.js';

export class PlacementLoop {
  private watches: Watch[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async start(): Promise<void> {
    const kick = () => void this.kick();
    this.watches.push(await this.store.watch(keys.desiredUnitsPrefix(), kick));
    this.watches.push(await this.store.watch(keys.hostsPrefix(), kick));
    await this.kick();
    this.timer = setInterval(kick, 5000);
    this.timer.unref();
  }

  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.pass();
        } catch (err) {
          this.logger.error({ err }, 'placement pass failed');
        }
      } while (this.again && !this.stopped);
    })().finally(() => (this.running = undefined));
    return this.running;
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

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.watches.map((w) => w.cancel()));
    await this.running;
  }
}
