/**
 * One host's agent reconciler on the test environment's real dockerd, over a SQLite store in a temp dir: what
 * the tests of the reconciler against Docker (a slow pull, a hanging start, a leftover dockerd will not remove)
 * set up and tear down alike. The test says how the driver reaches dockerd (often through a proxy of its own,
 * which it closes itself after close()); every unit status written is recorded in order, with when it was seen.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import Dockerode from 'dockerode';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { LeaseSession } from '../../src/state/lease-session.js';
import { DockerDriver, type DockerDriverOptions } from '../../src/agent/drivers/docker/docker-driver.js';
import type { Driver } from '../../src/agent/drivers/driver.js';
import { Reconciler } from '../../src/agent/reconciler.js';
import { keys } from '../../src/core/keys.js';
import type { DesiredUnit, UnitStatus } from '../../src/core/records.js';
import { dockerTestEnv, tmpDir } from './env.js';
import { waitFor } from './wait.js';

export type SeenStatus = UnitStatus & { seenAt: number };

export interface DockerHostOptions {
  /** prefix of the temp dir (store, sockets the test makes there) */
  tmpPrefix: string;
  /** this host's id (32 characters) */
  hostId: string;
  /** the services it runs units of: their `latest` is 1; their units and containers are removed at close() */
  services: string[];
  /** the driver's settings (where it reaches dockerd, its deadlines); `dir` is the temp dir, for a socket */
  driver: (dir: string) => DockerDriverOptions | Promise<DockerDriverOptions>;
  /** the driver as the reconciler sees it (agent.ts wraps it in a BoundedDriver); default: as it is */
  wrap?: (driver: DockerDriver) => Driver;
}

export class DockerHost {
  readonly dir: string;
  readonly store: SqliteStore;
  readonly session: LeaseSession;
  /** dockerd itself, not through the test's proxy: what is really there */
  readonly docker = new Dockerode({ socketPath: dockerTestEnv().socketPath });
  driver!: DockerDriver;
  reconciler!: Reconciler;
  /** images to remove at close() (pulled under a proxy's name, so that a later run pulls them again) */
  readonly images: string[] = [];
  private readonly seen = new Map<string, SeenStatus[]>();
  private cancelWatch: (() => Promise<void>) | undefined;

  constructor(private readonly opts: DockerHostOptions) {
    this.dir = tmpDir(opts.tmpPrefix);
    this.store = new SqliteStore(join(this.dir, 'paz.db'));
    this.session = new LeaseSession(this.store, { ttlSeconds: 30 });
  }

  /** Starts the lease session, the status recording and the reconciler. */
  async start(): Promise<this> {
    this.driver = new DockerDriver(await this.opts.driver(this.dir));
    await this.session.start();
    for (const service of this.opts.services) await this.store.put(keys.latest(service), '1');
    const watch = await this.store.watch(keys.unitStatusPrefix(), (events) => {
      for (const e of events) if (e.type === 'put') {
        const st = JSON.parse(e.value) as UnitStatus;
        this.seen.set(st.unit, [...this.statuses(st.unit), { ...st, seenAt: Date.now() }]);
      }
    });
    this.cancelWatch = () => watch.cancel();
    this.reconciler = this.newReconciler();
    await this.reconciler.start();
    return this;
  }

  /** A reconciler as agent.ts makes one, on this host's store and driver (the next agent, after a stop). */
  newReconciler(): Reconciler {
    const driver = this.opts.wrap ? this.opts.wrap(this.driver) : this.driver;
    return new Reconciler({ store: this.store, driver, session: this.session, hostId: this.opts.hostId, endpointAddress: '127.0.0.1', probeAddress: '127.0.0.1', logger: pino({ level: 'silent' }), resyncMs: 300 });
  }

  /** A unit of `service` version 1 placed on this host, with one container port and a 1 s stop grace. */
  unit(service: string, instance: number, image: string): DesiredUnit {
    return {
      unit: `${service}-1-${instance}`,
      service,
      version: 1,
      instance,
      host: this.opts.hostId,
      createdAt: 1,
      spec: { image, ports: [{ container: 9000 }], env: {}, volumes: [], stopGraceSeconds: 1 },
    };
  }

  place(u: DesiredUnit): Promise<unknown> {
    return this.store.put(keys.desiredUnit(u.service, u.unit), JSON.stringify(u));
  }

  unplace(u: DesiredUnit): Promise<unknown> {
    return this.store.delete(keys.desiredUnit(u.service, u.unit));
  }

  /** every status written for the unit, in order, with when it was seen */
  statuses(unit: string): SeenStatus[] {
    return this.seen.get(unit) ?? [];
  }

  /** the service's containers as dockerd lists them: name and state */
  async containers(service: string): Promise<Array<{ name: string; state: string }>> {
    return (await this.listed(service)).map((c) => ({ name: c.Names[0]!.slice(1), state: c.State }));
  }

  private listed(service: string) {
    return this.docker.listContainers({ all: true, filters: { label: [`paz.service=${service}`] } });
  }

  /**
   * Retires every unit through the reconciler (up to 30 s), stops it, then removes whatever dockerd still has
   * of the services, the images named, the store and the temp dir. Whatever the test made dockerd refuse or
   * hold should be let go first.
   */
  async close(): Promise<void> {
    await this.cancelWatch?.();
    for (const service of this.opts.services) await this.store.deletePrefix(keys.desiredUnitsOf(service)).catch(() => undefined);
    await waitFor('the units retired', async () => this.reconciler.runners.size === 0 && this.reconciler.retiring.size === 0, 30_000).catch(() => undefined);
    await this.reconciler?.stop();
    for (const service of this.opts.services) {
      await Promise.all((await this.listed(service)).map((c) => this.docker.getContainer(c.Id).remove({ force: true })));
    }
    for (const image of this.images) await this.docker.getImage(image).remove().catch(() => undefined);
    await this.driver?.close();
    await this.session.stop();
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
