/**
 * One simulated host for the scheduling bench: the agent's store-facing parts, unchanged, over a driver
 * that starts nothing (instant-driver.ts).
 *
 * Why not startAgent() itself, a thousand times in one process: each one also listens an HTTP API
 * (fastify), samples /proc for host stats, checks its driver and router every heartbeat and reads host facts.
 * None of that writes units, and a thousand of each would measure this process's event loop, not
 * scheduling. What writes to the store is the real code: the LeaseSession (batched, chunked writes under
 * the host's lease), the Reconciler and its UnitRunners (status writes on every state change) over the
 * BoundedDriver the agent uses. The heartbeat writes the same two records with the same keys as agent.ts
 * (the host record under the lease, the known-host record without one, in one txn), every HEARTBEAT_INTERVAL_MS.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Store } from '../../src/store/store.js';
import type { HostRecord, KnownHost } from '../../src/core/records.js';
import { keys } from '../../src/core/keys.js';
import { DEFAULT_HEARTBEAT_TTL_SECONDS, HEARTBEAT_INTERVAL_MS } from '../../src/core/heartbeat.js';
import { LeaseSession } from '../../src/state/lease-session.js';
import { Reconciler } from '../../src/agent/reconciler.js';
import { BoundedDriver } from '../../src/agent/bounded-driver.js';
import { Pacer } from '../../src/agent/pacing.js';
import { PAZ_VERSION } from '../../src/version.js';
import { InstantDriver } from './instant-driver.js';

export class SimHost {
  readonly hostId = randomBytes(16).toString('hex');
  readonly driver = new InstantDriver();
  private session!: LeaseSession;
  private reconciler!: Reconciler;
  private heartbeat: NodeJS.Timeout | undefined;
  private beating: Promise<void> = Promise.resolve();
  private readonly startedAt = Date.now();

  constructor(
    private readonly store: Store,
    private readonly index: number,
    private readonly logger: Logger,
  ) {}

  private record(): HostRecord {
    // 10.x addresses are only written into records as data: nothing connects to them
    const ip = `10.${(this.index >> 16) & 255}.${(this.index >> 8) & 255}.${this.index & 255}`;
    return {
      id: this.hostId,
      hostname: `sim-${this.index}`,
      ip,
      labels: {},
      cpus: 8,
      memoryBytes: 32 * 1024 ** 3,
      version: PAZ_VERSION,
      agentUrl: `http://${ip}:9010`,
      driver: this.driver.name,
      reservedPorts: [9010],
      startedAt: this.startedAt,
      heartbeatAt: Date.now(),
      heartbeatTtlSeconds: DEFAULT_HEARTBEAT_TTL_SECONDS,
    };
  }

  private async beat(): Promise<void> {
    const r = this.record();
    const known: KnownHost = { id: r.id, hostname: r.hostname, ip: r.ip, agentUrl: r.agentUrl, driver: r.driver, startedAt: r.startedAt, lastSeenAt: r.heartbeatAt };
    // one txn for both, as agent.ts writes them
    await Promise.all([this.session.put(keys.host(this.hostId), JSON.stringify(r)), this.session.put(keys.knownHost(this.hostId), JSON.stringify(known), { withoutLease: true })]);
  }

  async start(): Promise<void> {
    this.session = new LeaseSession(this.store, { ttlSeconds: DEFAULT_HEARTBEAT_TTL_SECONDS, onError: (err) => this.logger.warn({ err }, 'heartbeat failed') });
    await this.session.start();
    this.reconciler = new Reconciler({
      store: this.store,
      // a Pacer of its own, as each agent is a process of its own
      driver: new BoundedDriver(this.driver, undefined, new Pacer()),
      session: this.session,
      hostId: this.hostId,
      endpointAddress: this.record().ip,
      probeAddress: '127.0.0.1',
      logger: this.logger,
    });
    await this.beat();
    this.heartbeat = setInterval(() => {
      this.beating = this.beating.then(() => this.beat()).catch((err) => this.logger.debug({ err }, 'heartbeat write failed'));
    }, HEARTBEAT_INTERVAL_MS);
    this.heartbeat.unref();
    await this.reconciler.start();
  }

  /** units this host's reconciler runs, and how many of them it has seen running (for PAZ_BENCH_PROGRESS) */
  progress(): { units: number; running: number } {
    let running = 0;
    for (const r of this.reconciler.runners.values()) if (r.status.state === 'running' || r.status.state === 'healthy') running++;
    return { units: this.reconciler.runners.size, running };
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.beating;
    await this.reconciler.stop();
    await this.session.stop();
  }
}
