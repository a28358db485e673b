/**
 * Restarts asked of single units (`paz restart NAME --unit U`): a durable key per unit, written with its audit
 * journal entry in one transaction, as host drains are (host-drains.ts). The host-drain loop replaces the unit
 * and retires it (core/placement.ts planHostDrains), then removes the request.
 */
import type { Store } from '../store/store.js';
import { keys } from '../core/keys.js';
import type { JournalEntry, UnitRestartRecord } from '../core/records.js';
import type { RolloutStatus } from '../core/rollout-policy.js';
import { PazError } from '../core/errors.js';
import { planHostDrains } from '../core/placement.js';
import { restartProgress, restartRefusal, type UnitRestartProgress } from '../core/unit-restart.js';
import { getJson, rangeJson } from '../store/json.js';
import { ClusterView } from './cluster.js';
import { committedDesiredUnits } from './desired-units.js';
import { HostDrains } from './host-drains.js';

export interface UnitRestartAnswer extends UnitRestartProgress {
  unit: string;
  service: string;
  /** when it was asked for, and by whom (absent once it is done: the request goes with it) */
  since?: number;
  actor?: string;
}

export class UnitRestarts {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async list(): Promise<Map<string, UnitRestartRecord>> {
    return new Map((await rangeJson<UnitRestartRecord>(this.store, keys.unitRestartsPrefix())).entries.map((e) => [e.value.unit, e.value]));
  }

  /**
   * Asks for `unit` of `service` to be replaced by a fresh instance (a no-op when it already is asked).
   * Refused (409) while the service deploys, and for a unit that is not running anywhere or already on its way out.
   */
  async request(service: string, unit: string, actor: string): Promise<{ answer: UnitRestartAnswer; changed: boolean }> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const key = keys.unitRestart(unit);
      const current = await this.store.get(key);
      if (current) return { answer: await this.progress(service, unit), changed: false };
      const { entries } = await committedDesiredUnits(this.store, service);
      const entry = entries.find((e) => e.value.unit === unit);
      if (!entry) throw new PazError('UNIT_NOT_FOUND', `service "${service}" has no unit "${unit}": list them with paz units ${service}`, { service, unit });
      const latestKv = await this.store.get(keys.latest(service));
      const latest = latestKv ? Number(latestKv.value) : 0;
      const status = latest > 0 ? await getJson<RolloutStatus>(this.store, keys.rolloutStatus(service, latest)) : undefined;
      const refusal = restartRefusal(entry.value, entries.map((e) => e.value), status?.state, latest);
      if (refusal) throw new PazError('CONFLICT', refusal, { service, unit });
      const now = this.now();
      const record: UnitRestartRecord = { unit, service, since: now, actor };
      const journal: JournalEntry = { event: 'unit-restart', serviceName: service, version: entry.value.version, timestamp: now, actor, message: `restart of ${unit} asked by ${actor}: a fresh instance replaces it, then it is drained and stopped` };
      const res = await this.store.txn({
        // the unit as checked (not retired or replaced meanwhile), no request yet, and no deploy begun since
        compare: [
          { key: entry.key, target: 'modRevision', op: '=', value: entry.kv.modRevision },
          { key, target: 'createRevision', op: '=', value: 0 },
          { key: keys.latest(service), target: 'modRevision', op: '=', value: latestKv?.modRevision ?? 0 },
        ],
        success: [
          { type: 'put', key, value: JSON.stringify(record) },
          { type: 'put', key: keys.journal(now, service, entry.value.version, `unit-restart-${unit}`), value: JSON.stringify(journal) },
        ],
      });
      if (res.succeeded) return { answer: { unit, service, since: now, actor, state: 'replacing' }, changed: true };
    }
    throw new PazError('CONFLICT', `unit "${unit}" of service "${service}" kept changing while its restart was asked: try again`, { service, unit });
  }

  /** Withdraws the request: a replacement not yet healthy is cancelled (one that is goes on: units do not move back). */
  async withdraw(service: string, unit: string): Promise<{ withdrawn: boolean }> {
    const key = keys.unitRestart(unit);
    const record = await getJson<UnitRestartRecord>(this.store, key);
    if (!record || record.service !== service) return { withdrawn: false };
    const res = await this.store.txn({ compare: [{ key, target: 'createRevision', op: '>', value: 0 }], success: [{ type: 'delete', key }] });
    return { withdrawn: res.succeeded };
  }

  /** How the restart of `unit` goes; 404 when none was asked and it was not replaced. */
  async progress(service: string, unit: string): Promise<UnitRestartAnswer> {
    const cluster = new ClusterView(this.store, this.now);
    const [record, units, hosts, drains, statuses] = await Promise.all([
      getJson<UnitRestartRecord>(this.store, keys.unitRestart(unit)),
      // every unit: whether a replacement fits depends on what else the hosts run
      cluster.desiredUnits(),
      cluster.hostRecords(),
      new HostDrains(this.store).list(),
      cluster.statuses(),
    ]);
    const asked = record?.service === service ? record : undefined;
    const plan = planHostDrains({
      units,
      hosts,
      drained: new Set(drains.keys()),
      statuses,
      now: this.now(),
      restarts: new Set(asked ? [unit] : []),
    });
    const progress = restartProgress(unit, units, plan, statuses);
    const replaced = (progress.state === 'replaced' || progress.state === 'retiring') && progress.replacement !== undefined;
    if (!asked && !replaced) throw new PazError('UNIT_NOT_FOUND', `no restart of "${unit}" is under way: ask for one with paz restart ${service} --unit ${unit}`, { service, unit });
    return { unit, service, ...(asked ? { since: asked.since, actor: asked.actor } : {}), ...progress };
  }
}
