/**
 * Health at the three levels, read: gathers the records (live and known hosts, desired units, statuses,
 * each service's latest deploy) and asks the pure health-levels.ts. One read of each prefix per answer.
 */
import type { Store } from '../store/store.js';
import { keys } from '../core/keys.js';
import type { DesiredUnit, HostRecord, KnownHost, UnitStatus } from '../core/records.js';
import { clusterHealth, hostHealth, serviceHealth, type ClusterHealth, type HealthFacts, type HostHealth, type ServiceFacts, type ServiceHealth } from '../core/health-levels.js';
import { PazError } from '../core/errors.js';
import { rangeJson } from '../store/json.js';
import { committedDesiredUnits } from './desired-units.js';
import { HostDrains } from './host-drains.js';
import { hostDrainViews } from '../core/host-drain-view.js';
import type { Deploys } from './deploys.js';
import type { Directory } from './directory.js';

export class HealthView {
  constructor(
    private readonly store: Store,
    private readonly directory: Directory,
    private readonly deploys: Deploys,
    /** the control plane's --host-loss-grace, to say whether a down host's units still wait for it */
    private readonly hostLossGraceMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The same view over another store (a snapshot read at one revision: api/read-at.ts), with its own directory and deploys. */
  over(store: Store, directory: Directory, deploys: Deploys): HealthView {
    return new HealthView(store, directory, deploys, this.hostLossGraceMs, this.now);
  }

  private async facts(): Promise<HealthFacts> {
    const [hosts, known] = await Promise.all([rangeJson<HostRecord>(this.store, keys.hostsPrefix()), rangeJson<KnownHost>(this.store, keys.knownHostsPrefix())]);
    return { now: this.now(), hosts: hosts.entries.map((e) => e.value), knownHosts: known.entries.map((e) => e.value), hostLossGraceMs: this.hostLossGraceMs };
  }

  /** drained hosts and how their drains go, into `facts` */
  private async withDrains(facts: HealthFacts, units: DesiredUnit[], statuses: Map<string, UnitStatus>): Promise<void> {
    const drains = await new HostDrains(this.store).list();
    if (drains.size > 0) facts.drains = hostDrainViews({ drains, units, hosts: facts.hosts, statuses, now: facts.now });
  }

  private async units(service?: string): Promise<DesiredUnit[]> {
    return (await committedDesiredUnits(this.store, service)).entries.map((e) => e.value);
  }

  private async statuses(): Promise<Map<string, UnitStatus>> {
    return new Map((await rangeJson<UnitStatus>(this.store, keys.unitStatusPrefix())).entries.map((e) => [e.value.unit, e.value]));
  }

  private async serviceFacts(name: string, units: DesiredUnit[], statuses: Map<string, UnitStatus>): Promise<ServiceFacts> {
    const latestVersion = await this.deploys.latestVersion(name);
    const [rollout, serving] = latestVersion ? await Promise.all([this.deploys.rolloutStatus(name, latestVersion), this.deploys.servingVersion(name)]) : [undefined, 0];
    return { name, latestVersion, rollout, serving, units, statuses };
  }

  async cluster(): Promise<ClusterHealth> {
    const [facts, units, statuses, services] = await Promise.all([this.facts(), this.units(), this.statuses(), this.directory.list()]);
    await this.withDrains(facts, units, statuses);
    const byService = new Map<string, DesiredUnit[]>(services.map((s) => [s.name, []]));
    for (const u of units) byService.get(u.service)?.push(u);
    const all = await Promise.all([...byService].map(([name, us]) => this.serviceFacts(name, us, statuses)));
    return clusterHealth(facts, all, units, statuses);
  }

  /** 404 for a host neither live nor known (a down host is known: it answers, unhealthy, saying since when). */
  async host(id: string): Promise<HostHealth> {
    const [facts, units, statuses] = await Promise.all([this.facts(), this.units(), this.statuses()]);
    await this.withDrains(facts, units, statuses);
    const h = hostHealth(id, facts, units, statuses);
    if (!h) throw new PazError('HOST_NOT_FOUND', `no host with id "${id}": list hosts with GET /cluster/hosts (or paz hosts)`, { id });
    return h;
  }

  /**
   * Forgets a down host (decommissioned): its known-host record goes, so the cluster's health stops naming
   * it. A live host is refused: its agent would write the record again at its next heartbeat.
   */
  async forgetHost(id: string): Promise<void> {
    // one txn: the host is not up (no live record) and is known, else nothing is deleted
    const res = await this.store.txn({
      compare: [
        { key: keys.host(id), target: 'version', op: '=', value: 0 },
        { key: keys.knownHost(id), target: 'version', op: '>', value: 0 },
      ],
      success: [{ type: 'delete', key: keys.knownHost(id) }],
    });
    if (res.succeeded) return;
    if (await this.store.get(keys.host(id))) throw new PazError('CONFLICT', `host ${id} is up: stop its agent first (paz down on that host), then forget it`, { id });
    throw new PazError('HOST_NOT_FOUND', `no down host with id "${id}": list hosts with GET /cluster/health (or paz health)`, { id });
  }

  /** 404 (from the directory) for an unknown service. */
  async service(name: string): Promise<ServiceHealth> {
    await this.directory.get(name);
    const [facts, units, statuses] = await Promise.all([this.facts(), this.units(name), this.statuses()]);
    return serviceHealth(await this.serviceFacts(name, units, statuses), facts);
  }
}
