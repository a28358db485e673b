/**
 * The rollout controller (control plane): watches desired units, unit status and deploys, asks the pure
 * `decideRollout` what to do for each service, and applies it with compare-and-swap writes, journalling
 * each deploy's outcome (deploy-succeeded / deploy-failed with the reason).
 */
import type { Logger } from 'pino';
import type { Store, TxnOp } from '../store/store.js';
import { StoreLoop } from '../state/store-loop.js';
import { keys } from '../core/keys.js';
import type { DeployRecord, DesiredUnit, JournalEntry, UnitStatus } from '../core/records.js';
import { decideRollout, type RolloutAction, type RolloutStatus } from '../core/rollout-policy.js';
import { getJson, getJsonEntry, rangeJson, type JsonEntry } from '../store/json.js';
import { committedDesiredUnits } from '../state/desired-units.js';

export class RolloutController {
  private readonly loop: StoreLoop;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    // deadlines and drain times pass without any write: look again every interval
    intervalMs = 1000,
  ) {
    const prefixes = [keys.desiredUnitsPrefix(), keys.unitStatusPrefix(), '/paz/scheduler/latest/'];
    this.loop = new StoreLoop({ store, name: 'rollouts', logger, prefixes, intervalMs, pass: () => this.pass() });
  }

  start(): Promise<void> {
    return this.loop.start();
  }


  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async pass(): Promise<void> {
    const [units, statusList] = await Promise.all([committedDesiredUnits(this.store), rangeJson<UnitStatus>(this.store, keys.unitStatusPrefix())]);
    const statuses = new Map(statusList.entries.map((e) => [e.value.unit, e.value]));
    const byService = new Map<string, Array<JsonEntry<DesiredUnit>>>();
    // every service, also those with no units (a deploy of 0 instances still has to finish)
    for (const kv of (await this.store.range(keys.servicesPrefix())).kvs) byService.set(kv.key.slice(keys.servicesPrefix().length), []);
    for (const e of units.entries) {
      const list = byService.get(e.value.service);
      if (list) list.push(e);
      else byService.set(e.value.service, [e]);
    }
    for (const [service, entries] of byService) {
      const latestKv = await this.store.get(keys.latest(service));
      const version = latestKv ? Number(latestKv.value) : 0;
      const latest = version ? await getJson<DeployRecord>(this.store, keys.deploy(service, version)) : undefined;
      const status = version ? await getJson<RolloutStatus>(this.store, keys.rolloutStatus(service, version)) : undefined;
      const actions = decideRollout({ latest, status, units: entries.map((e) => e.value), statuses, now: this.now() });
      const byUnit = new Map(entries.map((e) => [e.value.unit, e]));
      for (const a of actions) await this.apply(service, a, byUnit);
    }
  }

  private async apply(service: string, a: RolloutAction, units: Map<string, JsonEntry<DesiredUnit>>): Promise<void> {
    const now = this.now();
    if (a.type === 'succeed' || a.type === 'fail') {
      const key = keys.rolloutStatus(service, a.version);
      const current = await getJsonEntry<RolloutStatus>(this.store, key);
      if (current && current.value.state !== 'deploying') return;
      const next: RolloutStatus = {
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
      const res = await this.store.txn({
        compare: [{ key, target: 'modRevision', op: '=', value: current?.kv.modRevision ?? 0 }],
        success: [
          { type: 'put', key, value: JSON.stringify(next) },
          { type: 'put', key: keys.journal(now, service, a.version, entry.event), value: JSON.stringify(entry) },
        ],
      });
      if (res.succeeded) (a.type === 'succeed' ? this.logger.info.bind(this.logger) : this.logger.warn.bind(this.logger))({ service, version: a.version }, entry.message!);
      return;
    }
    const e = units.get(a.unit);
    if (!e) return;
    let op: TxnOp;
    if (a.type === 'delete') op = { type: 'delete', key: e.key };
    else if (a.type === 'drain') op = { type: 'put', key: e.key, value: JSON.stringify({ ...e.value, drainingSince: now }) };
    else {
      const { hold: _released, ...rest } = e.value;
      op = { type: 'put', key: e.key, value: JSON.stringify({ ...rest, reason: 'waiting for placement' }) };
    }
    const res = await this.store.txn({ compare: [{ key: e.key, target: 'modRevision', op: '=', value: e.kv.modRevision }], success: [op] });
    if (res.succeeded) this.logger.info({ unit: a.unit }, a.type === 'delete' ? 'retired' : a.type === 'drain' ? 'draining' : 'released');
  }
}
