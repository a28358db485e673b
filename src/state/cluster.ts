/** The cluster as the orchestrator shows it: hosts, and desired units joined with their reported status. */
import type { Store } from '../store/store.js';
import { keys } from '../core/keys.js';
import type { DesiredUnit, HostRecord, UnitStatus } from '../core/records.js';
import { hostView, unitView, type HostView, type UnitView } from '../core/unit-view.js';
import { PazError } from '../core/errors.js';
import { parseUnitName } from '../core/unit-name.js';
import { getJson, rangeJson } from '../store/json.js';
import { committedDesiredUnits, latestVersions } from './desired-units.js';
import { isCommittedUnit } from '../core/committed-units.js';

export class ClusterView {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async hostRecords(): Promise<HostRecord[]> {
    return (await rangeJson<HostRecord>(this.store, keys.hostsPrefix())).entries.map((r) => r.value);
  }

  async desiredUnits(service?: string): Promise<DesiredUnit[]> {
    return (await committedDesiredUnits(this.store, service)).entries.map((r) => r.value);
  }

  async statuses(): Promise<Map<string, UnitStatus>> {
    const out = new Map<string, UnitStatus>();
    for (const r of (await rangeJson<UnitStatus>(this.store, keys.unitStatusPrefix())).entries) out.set(r.value.unit, r.value);
    return out;
  }

  /** Units sorted by service, version, instance. */
  async units(service?: string): Promise<UnitView[]> {
    const [desired, statuses, hosts] = await Promise.all([this.desiredUnits(service), this.statuses(), this.hostRecords()]);
    const byId = new Map(hosts.map((h) => [h.id, h]));
    return desired
      .map((d) => unitView(d, statuses.get(d.unit), d.host ? byId.get(d.host) : undefined))
      .sort((a, b) => a.service.localeCompare(b.service) || a.version - b.version || a.instance - b.instance);
  }

  async unit(name: string): Promise<UnitView> {
    const id = parseUnitName(name);
    const notFound = new PazError('UNIT_NOT_FOUND', `no unit named "${name}": units are named <service>-<version>-<instance>; list them with GET /cluster/units`, { unit: name });
    if (!id) throw notFound;
    const latest = await latestVersions(this.store, id.service);
    const d = await getJson<DesiredUnit>(this.store, keys.desiredUnit(id.service, name));
    // a staged unit (of a deploy not committed yet) does not exist for readers
    if (!d || !isCommittedUnit(d, latest)) throw notFound;
    const st = await getJson<UnitStatus>(this.store, keys.unitStatus(name));
    const host = d.host ? await getJson<HostRecord>(this.store, keys.host(d.host)) : undefined;
    return unitView(d, st, host);
  }

  /** A host is healthy while its heartbeat lease keeps its record alive. */
  async hosts(): Promise<HostView[]> {
    const [hosts, units] = await Promise.all([this.hostRecords(), this.desiredUnits()]);
    return hosts.map((h) => hostView(h, units.filter((u) => u.host === h.id).map((u) => u.unit), true));
  }

  async host(id: string): Promise<HostView> {
    const h = await getJson<HostRecord>(this.store, keys.host(id));
    if (!h) throw new PazError('HOST_NOT_FOUND', `no host with id "${id}": list hosts with GET /cluster/hosts`, { id });
    const units = await this.desiredUnits();
    return hostView(h, units.filter((u) => u.host === id).map((u) => u.unit), true);
  }
}
