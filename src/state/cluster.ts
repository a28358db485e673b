/** The cluster as the orchestrator shows it: hosts, and desired units joined with their reported status. */
import type { Store } from '../store/store.js';
import { keys } from '../core/keys.js';
import type { DesiredUnit, HostRecord, UnitStatus } from '../core/records.js';
import { hostView, unitNamesByHost, unitView, type HostView, type UnitView } from '../core/unit-view.js';
import { PazError } from '../core/errors.js';
import { liveHostHealth } from '../core/health-levels.js';
import { parseUnitName, resolveUnitName, shortUnitService } from '../core/unit-name.js';
import { getJson, rangeJson } from '../store/json.js';
import { committedDesiredUnits } from './desired-units.js';
import { HostDrains } from './host-drains.js';
import { hostDrainViews, type HostDrainView } from '../core/host-drain-view.js';

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

  /** One unit by its name, or by the seed's short `<service>-<instance>` (resolveUnitName). */
  async unit(name: string): Promise<UnitView> {
    const notFound = new PazError(
      'UNIT_NOT_FOUND',
      `no unit named "${name}": units are named <service>-<version>-<instance>, or <service>-<instance> for the newest version's; list them with GET /cluster/units`,
      { unit: name },
    );
    const services = [parseUnitName(name)?.service, shortUnitService(name.replace(/\.service$/, ''))?.service].filter((s): s is string => !!s);
    let d: DesiredUnit | undefined;
    for (const service of new Set(services)) {
      d = resolveUnitName(name, await this.desiredUnits(service));
      if (d) break;
    }
    if (!d) throw notFound;
    const st = await getJson<UnitStatus>(this.store, keys.unitStatus(d.unit));
    const host = d.host ? await getJson<HostRecord>(this.store, keys.host(d.host)) : undefined;
    return unitView(d, st, host);
  }

  /** One unit of the given service (any name `unit()` takes); 404 naming the service otherwise. */
  async serviceUnit(service: string, name: string): Promise<UnitView> {
    const unit = await this.unit(name).catch(() => undefined);
    if (!unit || unit.service !== service) throw new PazError('UNIT_NOT_FOUND', `service "${service}" has no unit "${name}": list them with GET /services/${service}/units`, { service, unit: name });
    return unit;
  }

  /** Units of the service no longer desired whose agents still report them (being stopped). */
  async stoppingUnits(service: string): Promise<string[]> {
    const [desired, statuses] = await Promise.all([this.desiredUnits(service), this.statuses()]);
    const wanted = new Set(desired.map((d) => d.unit));
    return [...statuses.keys()].filter((u) => !wanted.has(u) && parseUnitName(u)?.service === service).sort();
  }

  /** Live hosts (their heartbeat lease keeps their record); healthy as health-levels.ts judges them; drained ones with their drain. */
  async hosts(): Promise<HostView[]> {
    const [hosts, units] = await Promise.all([this.hostRecords(), this.desiredUnits()]);
    const drains = await this.drainViews(hosts, units);
    const unitsOf = unitNamesByHost(units);
    return hosts.map((h) => hostView(h, unitsOf.get(h.id) ?? [], liveHostHealth(h, [], new Map(), this.now(), drains.get(h.id)), drains.get(h.id)));
  }

  async host(id: string): Promise<HostView> {
    const h = await getJson<HostRecord>(this.store, keys.host(id));
    if (!h) throw new PazError('HOST_NOT_FOUND', `no host with id "${id}": list hosts with GET /cluster/hosts`, { id });
    const [units, hosts] = await Promise.all([this.desiredUnits(), this.hostRecords()]);
    const drain = (await this.drainViews(hosts, units)).get(id);
    return hostView(h, units.filter((u) => u.host === id).map((u) => u.unit), liveHostHealth(h, [], new Map(), this.now(), drain), drain);
  }

  /** How one drained host's drain goes (a down host's too); undefined when it is not drained. */
  async drainOf(id: string): Promise<HostDrainView | undefined> {
    const [hosts, units] = await Promise.all([this.hostRecords(), this.desiredUnits()]);
    return (await this.drainViews(hosts, units)).get(id);
  }

  /** How each drained host's drain goes (statuses are read only when a host is drained). */
  private async drainViews(hosts: HostRecord[], units: DesiredUnit[]): Promise<Map<string, HostDrainView>> {
    const drains = await new HostDrains(this.store).list();
    if (drains.size === 0) return new Map();
    return hostDrainViews({ drains, units, hosts, statuses: await this.statuses(), now: this.now() });
  }
}
