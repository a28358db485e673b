/**
 * Keeps this host's router (HAProxy) in step with the store: announced endpoints, draining units and the
 * cluster domain go through `planRoutes` into `Router.apply`, which changes HAProxy through its runtime API
 * (a hitless reload only when the set of backends changes). Paz used confd polling every 5 s; this reacts
 * to the store's watch within milliseconds.
 */
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import { StoreLoop } from '../state/store-loop.js';
import { keys, SERVICES_PREFIX } from '../core/keys.js';
import { planRoutes } from '../core/route-plan.js';
import { committedDesiredUnits } from '../state/desired-units.js';
import { Router, type RouterStats } from '../router/index.js';

export const DEFAULT_DOMAIN = 'paz';

export interface RouterSyncOptions {
  store: Store;
  logger: Logger;
  hostId: string;
  runtimeDir: string;
  bindAddress: string;
  port: number;
}

export class RouterSync {
  readonly router: Router;
  private readonly loop: StoreLoop;

  constructor(private readonly opts: RouterSyncOptions) {
    this.router = new Router({ runtimeDir: opts.runtimeDir, bindAddress: opts.bindAddress, port: opts.port, logger: opts.logger });
    const prefixes = [SERVICES_PREFIX, keys.desiredUnitsPrefix(), keys.domain()];
    this.loop = new StoreLoop({ store: opts.store, name: 'router', logger: opts.logger, prefixes, intervalMs: 5000, pass: () => this.sync() });
  }

  async start(): Promise<void> {
    await this.router.start();
    await this.loop.start();
  }


  private async sync(): Promise<void> {
    const store = this.opts.store;
    const [endpoints, desired, domain] = await Promise.all([store.range(SERVICES_PREFIX), committedDesiredUnits(store), store.get(keys.domain())]);
    const table = planRoutes({
      endpoints: endpoints.kvs,
      desired: desired.entries.map((e) => e.value),
      domain: domain?.value || DEFAULT_DOMAIN,
      hostId: this.opts.hostId,
      routerPort: this.opts.port,
    });
    const res = await this.router.apply(table);
    if (res.reloaded) this.opts.logger.info({ reasons: res.reloadReasons }, 'router reloaded');
  }

  stats(): Promise<RouterStats> {
    return this.router.stats();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.router.stop();
  }
}
