/**
 * A cluster of many units without running them: simulated agents that do, through the Store API, what
 * real agents write — a host record under a heartbeat lease per host, and for every unit the control
 * plane places on one of them a healthy UnitStatus and its endpoint (`/paz/services/<svc>/<ver>/<inst>`),
 * under the same lease. Paz's own control plane (a real `paz server`) creates the services, deploys them,
 * places the units and finishes the rollouts; only the containers are missing. That is how a server of a
 * 1,000-unit cluster sees it (agents on other hosts), at the cost of a few hundred KB of store writes.
 *
 * Works on the SQLite store shared with the server process (it notices other processes' writes) or etcd.
 */
import { hostname } from 'node:os';
import { keys } from '../../src/core/keys.js';
import type { DesiredUnit, HostRecord, UnitStatus } from '../../src/core/records.js';
import { parseJsonValue } from '../../src/store/json.js';
import type { Store, TxnOp, Watch, WatchEvent } from '../../src/store/store.js';
import { PAZ_VERSION } from '../../src/version.js';
import { pazJson } from './paz-process.js';
import { until } from './measure.js';

const TTL_SECONDS = 10;

export class SimulatedAgents {
  private leaseId = 0;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private watch: Watch | undefined;
  private readonly hostIds: string[];
  private readonly reported = new Set<string>();
  private writes: Promise<unknown> = Promise.resolve();
  private failure: Error | undefined;

  constructor(
    private readonly store: Store,
    hostCount: number,
  ) {
    this.hostIds = Array.from({ length: hostCount }, (_, i) => `bench-host-${String(i + 1).padStart(3, '0')}`);
  }

  /** units reported healthy so far */
  get units(): number {
    return this.reported.size;
  }

  async start(): Promise<void> {
    this.leaseId = (await this.store.grantLease(TTL_SECONDS)).id;
    this.keepAliveTimer = setInterval(() => void this.store.keepAlive(this.leaseId).catch(() => undefined), 2000);
    this.keepAliveTimer.unref();
    const now = Date.now();
    const ops: TxnOp[] = this.hostIds.map((id, i) => {
      const rec: HostRecord = {
        id,
        hostname: `${hostname()}-sim-${i + 1}`,
        ip: '127.0.0.1',
        labels: { bench: 'simulated' },
        cpus: 2,
        memoryBytes: 4 * 2 ** 30,
        version: PAZ_VERSION,
        // nothing listens there: the simulated agents serve no logs or stats
        agentUrl: 'http://127.0.0.1:1',
        driver: 'process',
        startedAt: now,
        heartbeatAt: now,
        heartbeatTtlSeconds: TTL_SECONDS,
      };
      return { type: 'put', key: keys.host(id), value: JSON.stringify(rec), lease: this.leaseId };
    });
    await this.store.txn({ compare: [], success: ops });
    const revision = await this.store.revision();
    const existing = await this.store.range(keys.desiredUnitsPrefix());
    this.onEvents(existing.kvs.map((kv) => ({ type: 'put', key: kv.key, value: kv.value, revision: kv.modRevision })));
    this.watch = await this.store.watch(keys.desiredUnitsPrefix(), (events) => this.onEvents(events), {
      fromRevision: revision + 1,
      // a deleted unit's endpoint key is named by its previous value
      prevValues: true,
      onError: (err) => (this.failure = err),
    });
  }

  private onEvents(events: WatchEvent[]): void {
    const mine = new Set(this.hostIds);
    const ops: TxnOp[] = [];
    for (const e of events) {
      if (e.type === 'delete') {
        const unit = e.key.slice(e.key.lastIndexOf('/') + 1);
        if (!this.reported.delete(unit)) continue;
        const prev = e.prevValue ? parseJsonValue<DesiredUnit>(e.key, e.prevValue) : undefined;
        ops.push({ type: 'delete', key: keys.unitStatus(unit) });
        if (prev) ops.push({ type: 'delete', key: keys.endpoint(prev.service, prev.version, prev.instance) });
        continue;
      }
      const d = parseJsonValue<DesiredUnit>(e.key, e.value);
      if (!d.host || !mine.has(d.host) || this.reported.has(d.unit)) continue;
      this.reported.add(d.unit);
      const now = Date.now();
      // a port per unit, as Docker would publish; nothing listens there (routers mark them down)
      const endpoint = `127.0.0.1:${20000 + (this.reported.size % 40000)}`;
      const status: UnitStatus = {
        unit: d.unit,
        host: d.host,
        state: 'healthy',
        healthy: true,
        restarts: 0,
        image: d.spec.image,
        endpoint,
        startedAt: now,
        healthySince: now,
        lastProbe: { at: now, ok: true },
        updatedAt: now,
      };
      ops.push({ type: 'put', key: keys.unitStatus(d.unit), value: JSON.stringify(status), lease: this.leaseId });
      ops.push({ type: 'put', key: keys.endpoint(d.service, d.version, d.instance), value: endpoint, lease: this.leaseId });
    }
    if (ops.length === 0) return;
    this.writes = this.writes.then(() => this.store.txn({ compare: [], success: ops })).catch((err) => (this.failure = err));
  }

  /** Resolves once `n` units are reported healthy (throws if a write failed, or after `timeoutMs`). */
  async waitForUnits(n: number, timeoutMs = 120_000): Promise<void> {
    await until(`${n} simulated units`, async () => {
      if (this.failure) throw this.failure;
      return this.reported.size >= n;
    }, timeoutMs, 100);
    await this.writes;
  }

  async stop(): Promise<void> {
    clearInterval(this.keepAliveTimer);
    await this.watch?.cancel();
    await this.writes;
    if (this.leaseId) await this.store.revoke(this.leaseId).catch(() => undefined);
  }
}

/**
 * `count` services made through the directory API (as a user would: POST /services) and each deployed once
 * through the scheduler's deploy hook with `instances` instances. Images name a loopback registry nobody
 * runs, so the deploy's digest lookup fails at once and stays on this machine.
 */
export async function createServices(ports: { directory: number; scheduler: number }, headers: Record<string, string>, count: number, instances: number, deploy = true): Promise<string[]> {
  const names: string[] = [];
  for (let i = 1; i <= count; i++) {
    const name = `bench-svc-${String(i).padStart(3, '0')}`;
    await pazJson(ports.directory, 'POST', '/services', headers, {
      name,
      description: `benchmark service ${i}`,
      dockerImage: `127.0.0.1:1/bench/app-${i}`,
      ports: [{ container: 8080 }],
      env: { GREETING: 'hello', INDEX: String(i) },
      numInstances: instances,
    }, 201);
    if (deploy) await pazJson(ports.scheduler, 'POST', '/hooks/deploy', headers, { serviceName: name, dockerRepository: `127.0.0.1:1/bench/app-${i}:1` }, 200);
    names.push(name);
  }
  return names;
}
