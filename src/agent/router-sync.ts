/**
 * Keeps this host's router (HAProxy) in step with the store: announced endpoints, draining units and the
 * cluster domain go through `planRoutes` into `Router.apply`, which changes HAProxy through its runtime API
 * (a hitless reload only when the set of backends changes). Paz used confd polling every 5 s; this reacts
 * to the store's watch within milliseconds.
 *
 * What it routes comes from views fed by the store's watches (prefix-view.ts, committed-units-view.ts), not
 * from reads: each pass used to read every endpoint and every desired unit of the cluster again, on every
 * host, several times a second while a deploy went on (a 10,000-unit deploy on 100 hosts: hundreds of
 * passes, each reading ~5 MB). A pass now costs the store nothing but the domain key.
 *
 * It also publishes the router's report (`/paz/routers/<hostId>`, under the agent's lease): requests in
 * flight on each draining unit, read every REPORT_INTERVAL_MS while anything drains and written when they
 * change, so the control plane stops an old instance as soon as no router has a request on it.
 */
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import { StoreLoop } from '../state/store-loop.js';
import { keys, SERVICES_PREFIX } from '../core/keys.js';
import { planRoutes } from '../core/route-plan.js';
import { CommittedUnitsView } from '../state/committed-units-view.js';
import { PrefixView } from '../state/prefix-view.js';
import { Router, type RouterStats, type RouterTlsOptions } from '../router/index.js';
import { sameReport, type RouterReport } from '../core/router-report.js';
import type { LeaseSession } from '../state/lease-session.js';

/** How often in-flight requests on draining units are read while any unit drains. */
export const REPORT_INTERVAL_MS = 300;

export const DEFAULT_DOMAIN = 'paz';

export interface RouterSyncOptions {
  store: Store;
  logger: Logger;
  hostId: string;
  runtimeDir: string;
  bindAddress: string;
  port: number;
  /** HTTPS on a second port, certificates picked by SNI */
  tls?: RouterTlsOptions;
  /** HAProxy's threads; absent: the Router's default for the host's CPUs */
  threads?: number;
  /** the agent's lease: the router's report lives and dies with it */
  session: LeaseSession;
  /** how often a pass runs whatever the watches say (default 5 s) */
  resyncMs?: number;
}

export class RouterSync {
  readonly router: Router;
  private readonly loop: StoreLoop;
  /** every announced endpoint (and the components' keys under the same prefix), as raw `ip:port` values */
  private readonly endpoints: PrefixView<string>;
  private readonly units: CommittedUnitsView;
  /** store revision of the desired units HAProxy holds now (the newest modRevision among them) */
  private appliedRevision = 0;
  private reportTimer: NodeJS.Timeout | undefined;
  private lastReport: RouterReport | undefined;
  private reporting: Promise<void> = Promise.resolve();
  private stopped = false;
  private applyError: string | undefined;
  private lastUnroutable = '';

  constructor(private readonly opts: RouterSyncOptions) {
    this.router = new Router({ runtimeDir: opts.runtimeDir, bindAddress: opts.bindAddress, port: opts.port, tls: opts.tls, ...(opts.threads !== undefined ? { threads: opts.threads } : {}), logger: opts.logger });
    const onError = (err: Error) => opts.logger.warn({ err }, 'router: reading endpoints or units again');
    this.endpoints = new PrefixView<string>({ store: opts.store, prefix: SERVICES_PREFIX, parse: (_key, raw) => raw, onError });
    this.units = new CommittedUnitsView(opts.store, onError);
    const prefixes = [SERVICES_PREFIX, keys.desiredUnitsPrefix(), keys.latestPrefix(), keys.domain()];
    this.loop = new StoreLoop({ store: opts.store, name: 'router', logger: opts.logger, prefixes, intervalMs: opts.resyncMs ?? 5000, pass: () => this.sync() });
  }

  async start(): Promise<void> {
    await this.router.start();
    await this.loop.start();
  }


  private async sync(): Promise<void> {
    const store = this.opts.store;
    const [endpoints, desired, domain] = await Promise.all([this.endpoints.entries(), this.units.committed(), store.get(keys.domain())]);
    const table = planRoutes({
      endpoints: [...endpoints.values()].map((e) => ({ key: e.key, value: e.value })),
      desired: desired.entries.map((e) => e.value),
      domain: domain?.value || DEFAULT_DOMAIN,
      hostId: this.opts.hostId,
      routerPort: this.opts.port,
    });
    if (table.unroutable && table.unroutable.join() !== this.lastUnroutable) {
      this.opts.logger.warn({ endpoints: table.unroutable }, 'router: endpoints whose address is not an IP are not routed (the agents of those hosts should announce an IP)');
    }
    this.lastUnroutable = table.unroutable?.join() ?? '';
    let res: Awaited<ReturnType<Router['apply']>>;
    try {
      res = await this.router.apply(table);
      this.applyError = undefined;
    } catch (err) {
      // kept for the host's health until an apply succeeds again
      this.applyError = (err as Error).message;
      throw err;
    }
    if (res.reloaded) this.opts.logger.info({ reasons: res.reloadReasons }, 'router reloaded');
    // The newest change among the desired units used: the view applies the store's events in order, so every
    // change to a desired unit up to this revision is in the table just applied. (Not the view's revision,
    // which moves with every write anywhere and would make the report change, and be written, on every
    // periodic pass.)
    this.appliedRevision = desired.entries.reduce((max, e) => Math.max(max, e.modRevision), 0);
    const draining = table.services.some((svc) => svc.servers.some((srv) => srv.state === 'drain'));
    if (draining && !this.reportTimer && !this.stopped) {
      this.reportTimer = setInterval(() => void this.report(), REPORT_INTERVAL_MS);
      this.reportTimer.unref();
    }
    await this.report();
  }

  /** Reads in-flight requests on draining units and publishes them if they changed; one at a time. */
  private report(): Promise<void> {
    this.reporting = this.reporting.then(async () => {
      if (this.stopped) return;
      try {
        const revision = this.appliedRevision;
        const { draining, oldWorkers } = await this.router.drainingInFlight();
        const next: RouterReport = { host: this.opts.hostId, at: Date.now(), revision, oldWorkers, draining };
        if (Object.keys(draining).length === 0 && this.reportTimer) {
          clearInterval(this.reportTimer);
          this.reportTimer = undefined;
        }
        if (sameReport(this.lastReport, next)) return;
        await this.opts.session.put(keys.router(this.opts.hostId), JSON.stringify(next));
        this.lastReport = next;
      } catch (err) {
        this.opts.logger.warn({ err }, 'router: could not publish the drain report');
      }
    });
    return this.reporting;
  }

  /** what is wrong with the router now, for the host's health: its last configuration change failed */
  problem(): string | undefined {
    return this.applyError === undefined ? undefined : `could not apply its configuration: ${this.applyError}`;
  }

  stats(): Promise<RouterStats> {
    return this.router.stats();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reportTimer) clearInterval(this.reportTimer);
    await this.loop.stop();
    await Promise.all([this.endpoints.stop(), this.units.stop()]);
    await this.reporting;
    await this.router.stop();
  }
}
