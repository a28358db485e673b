/**
 * The agent role (`paz agent`, and inside `paz up`): one per host. It registers the host and heartbeats
 * under a lease, runs the units placed on it through its driver (reconciler), health-checks and announces
 * them, and serves their logs and stats. Everything it writes lives under its lease: if the agent dies, its
 * host record, unit statuses and endpoints disappear within the TTL, so nobody routes to a dead host.
 * An agent cut off from the store for longer than the host-loss grace stops its own units (fenced), since the
 * control plane places them elsewhere, and re-syncs to the store when it answers again.
 */
import { ImageGc } from './image-gc.js';
import { PulledRepositories } from './pulled-repositories.js';
import { DEFAULT_IMAGE_KEEP_VERSIONS } from './image-gc-plan.js';
import type { SecretKey } from '../core/secret-box.js';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import type { Driver } from './drivers/driver.js';
import { keys } from '../core/keys.js';
import type { HostProblem, HostRecord, KnownHost } from '../core/records.js';
import { nextProblems } from '../core/host-problems.js';
import { DEFAULT_HEARTBEAT_TTL_SECONDS, HEARTBEAT_INTERVAL_MS } from '../core/heartbeat.js';
import { checkHost } from './host/host-checks.js';
import { LeaseSession } from '../state/lease-session.js';
import { Reconciler } from './reconciler.js';
import { readHostFacts } from './host/host-facts.js';
import { HostStatsSampler } from './host/host-stats.js';
import { UnitStatsSampler } from './unit-stats.js';
import { BoundedDriver } from './bounded-driver.js';
import { createAgentApi, type AgentApi } from './agent-api.js';
import { PAZ_VERSION } from '../version.js';
import { RouterSync } from './router-sync.js';
import { RouterPortTakenError, type RouterTlsOptions } from '../router/index.js';
import { ImagePinning } from './image-pin.js';
import { VersionDigests } from '../state/version-digests.js';
import { RegistryLogins } from '../state/registry-logins.js';
import { newSecretKey } from '../core/secret-box.js';
import { prepareVolumeRoot } from './volume-guard.js';
import { localAddresses, resolveName } from '../roles/routable-address.js';
import { addressMoved } from './address-check.js';
import { StoreFenceWatch } from './store-fence-watch.js';
import { fenceJournalEntry, type FenceTimes } from '../core/store-fence.js';
import { HostLossGrace } from '../state/host-loss-grace.js';
import { StartWhenReady } from './start-when-ready.js';

export interface AgentOptions {
  store: Store;
  driver: Driver;
  logger: Logger;
  dataDir: string;
  /** the address other hosts reach this host's instances at (Paz's PublicIP): an IP literal */
  address: string;
  /** the host name `address` was resolved from (--address NAME): checked again at each heartbeat */
  addressName?: string;
  /** resolves `addressName` (default: roles/routable-address.ts resolveName) */
  resolveAddress?: (name: string) => Promise<string>;
  /** where the agent's API listens */
  bind: string;
  port: number;
  labels?: Record<string, string>;
  /** other ports Paz listens on on this host (the control plane's, under paz up) */
  reservedPorts?: number[];
  heartbeatTtlSeconds?: number;
  /** run this host's router (HAProxy) on this address and port; threads: HAProxy's (absent: routerThreadsFor the host's CPUs) */
  router?: { bind: string; port: number; tls?: RouterTlsOptions; threads?: number };
  /**
   * how often the reconciler and the router run a pass whatever the watches say (default 5 s): it retries what
   * failed (a start, a store that did not answer); changes themselves come by watch
   */
  resyncMs?: number;
  /** host volumes must lie under this directory (made if missing); default DATA_DIR/volumes */
  volumeRoot?: string;
  /** opens sealed secrets (env values, registry credentials) when a unit starts; none: a unit with secrets fails (SECRET_UNREADABLE) */
  secretKey?: SecretKey;
  /** the cluster token (roles/cluster-token.ts) its API asks of every caller but /health */
  clusterToken: string;
  /** images of this many newest versions per service stay on the host (and the serving one's); 0: none removed */
  imageKeepVersions?: number;
  /** how often the image collector runs (default 10 minutes) */
  imageGcIntervalMs?: number;
}

export interface Agent {
  hostId: string;
  reconciler: Reconciler;
  api: AgentApi;
  stop(): Promise<void>;
}

/** The host id is made once and kept in the data dir, so a restarted agent is the same host. */
export function hostIdOf(dataDir: string): string {
  const file = join(dataDir, 'host-id');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const id = randomBytes(16).toString('hex');
  writeFileSync(file, `${id}\n`);
  return id;
}

export async function startAgent(opts: AgentOptions): Promise<Agent> {
  const logger = opts.logger;
  const hostId = hostIdOf(opts.dataDir);
  // made and checked before anything runs: a root that is a system path or holds the data dir stops the agent
  // (kept as configured: paths are written against it, and checkVolumesOnHost resolves both sides itself)
  const volumeRoot = resolve(opts.volumeRoot ?? join(opts.dataDir, 'volumes'));
  prepareVolumeRoot(volumeRoot, resolve(opts.dataDir));
  const facts = readHostFacts();
  const ttlSeconds = opts.heartbeatTtlSeconds ?? DEFAULT_HEARTBEAT_TTL_SECONDS;
  // Cut off from the store for longer than the host-loss grace, the agent stops its units itself (they are
  // placed elsewhere), and starts again what the store still places here once it answers (core/store-fence.ts).
  const hostLossGrace = new HostLossGrace(opts.store, (err) => logger.warn({ err }, 'the host-loss grace: no longer followed; read again when the store answers'));
  let fencing: { fence(silentMs: number, times: FenceTimes): void; rejoin(fencedForMs: number): void } | undefined;
  const fenceWatch = new StoreFenceWatch({
    times: () => ({ graceMs: hostLossGrace.ms(), leaseTtlMs: ttlSeconds * 1000 }),
    onFence: (silentMs, times) => fencing?.fence(silentMs, times),
    onRejoin: (fencedForMs) => fencing?.rejoin(fencedForMs),
  });
  const session = new LeaseSession(opts.store, { ttlSeconds, onError: (err) => logger.warn({ err }, 'heartbeat failed'), onRenewing: (sentAt) => fenceWatch.renewing(sentAt), onRenewed: (sentAt) => fenceWatch.renewed(sentAt) });
  await session.start();
  await hostLossGrace.load();

  let routerSync: RouterSync | undefined;
  let routerStartError: string | undefined;
  if (opts.router) {
    const sync = new RouterSync({ store: opts.store, logger: logger.child({ component: 'router' }), hostId, runtimeDir: join(opts.dataDir, 'router'), bindAddress: opts.router.bind, port: opts.router.port, tls: opts.router.tls, threads: opts.router.threads, session, ...(opts.resyncMs !== undefined ? { resyncMs: opts.resyncMs } : {}) });
    try {
      await sync.start();
      routerSync = sync;
    } catch (err) {
      await sync.stop().catch(() => undefined);
      // The router never shares its port silently: a port held by someone else stops the agent, naming them.
      if (err instanceof RouterPortTakenError) {
        await session.stop().catch(() => undefined);
        throw err;
      }
      // Without a router, units bind their host ports themselves: the host still works, just unrouted.
      routerStartError = `${opts.router.bind}:${opts.router.port}: ${(err as Error).message}`;
      logger.error({ err: (err as Error).message }, `the router could not start on ${opts.router.bind}:${opts.router.port}; running without one`);
    }
  }

  // pulls use the registry logins set with paz registry login, opened with this host's secrets key
  const registryLogins = new RegistryLogins(opts.store, opts.secretKey ?? newSecretKey());
  // what this host pulls is written down for the image collector, which removes a deleted service's images too
  // (also while it is turned off: turned on later, it knows what was pulled meanwhile)
  const keepVersions = opts.imageKeepVersions ?? DEFAULT_IMAGE_KEEP_VERSIONS;
  const pulledRepositories = opts.driver.name === 'docker' ? new PulledRepositories(join(opts.dataDir, 'pulled-repositories.json')) : undefined;
  const reconciler = new Reconciler({
    store: opts.store,
    // units start a few at a time, so a big deploy never blocks this process's event loop
    driver: new BoundedDriver(opts.driver),
    session,
    hostId,
    endpointAddress: opts.address,
    // containers publish their ports on the host's address only (docker-mapping.ts), so they are probed there;
    // process units bind their ports themselves, and loopback reaches what they bind on all addresses
    probeAddress: opts.driver.name === 'docker' ? opts.address : '127.0.0.1',
    volumeRoot,
    routerPort: routerSync ? opts.router!.port : undefined,
    pinning: new ImagePinning(new VersionDigests(opts.store), opts.driver, logger.child({ component: 'image-pin' }), registryLogins),
    registryLogins,
    ...(pulledRepositories ? { pulledRepositories } : {}),
    secretKey: opts.secretKey,
    logger: logger.child({ component: 'reconciler' }),
    ...(opts.resyncMs !== undefined ? { resyncMs: opts.resyncMs } : {}),
  });
  const units = () => [...reconciler.runners.keys()];
  const imageGc =
    keepVersions > 0
      ? new ImageGc({
          store: opts.store,
          driver: opts.driver,
          logger: logger.child({ component: 'image-gc' }),
          keepVersions,
          intervalMs: opts.imageGcIntervalMs ?? 10 * 60_000,
          desiredImages: () => [...reconciler.runners.values()].map((r) => r.desired.spec.image),
          ...(pulledRepositories ? { pulled: pulledRepositories } : {}),
        })
      : undefined;
  const hostStats = new HostStatsSampler({ onError: (err) => logger.debug({ err }, 'host stats sample failed') });
  const unitStats = new UnitStatsSampler(opts.driver, units);
  const api = createAgentApi({
    hostId,
    driver: opts.driver,
    hostStats,
    unitStats,
    units,
    clusterToken: opts.clusterToken,
    routerStats: routerSync ? () => routerSync.stats() : undefined,
    logger: logger.child({ component: 'paz-agent-api' }),
  });
  const apiPort = await api.listen({ host: opts.bind, port: opts.port });

  // The units wait for the driver, the agent does not: with Docker not up yet (at boot) or lost during the
  // start, the host registers, its heartbeat says why it is unhealthy, and its units start (the instances
  // Docker already runs adopted) once the driver answers.
  const unitsStart = new StartWhenReady({
    attempt: () => reconciler.start(),
    onFailure: (err, retryInMs) =>
      logger.warn({ err: (err as Error).message, retryInMs }, `the units of this host wait for its ${opts.driver.name} driver: ${(err as Error).message}; trying again in ${Math.round(retryInMs / 100) / 10} s`),
  });

  const startedAt = Date.now();
  let problems: HostProblem[] = [];
  const record = (): HostRecord => ({
    id: hostId,
    hostname: facts.hostname,
    ip: opts.address,
    labels: opts.labels ?? {},
    cpus: facts.cpus,
    memoryBytes: facts.memoryBytes,
    version: PAZ_VERSION,
    agentUrl: `http://${opts.address}:${apiPort}`,
    driver: opts.driver.name,
    ...(routerSync ? { routerPort: opts.router!.port } : {}),
    // the router's HTTPS port is not served to a default backend as its HTTP port is: no unit may take it
    reservedPorts: [apiPort, ...(routerSync && opts.router?.tls ? [opts.router.tls.port] : []), ...(opts.reservedPorts ?? [])],
    startedAt,
    heartbeatAt: Date.now(),
    heartbeatTtlSeconds: ttlSeconds,
    ...(problems.length > 0 ? { problems } : {}),
  });
  const known = (r: HostRecord, stoppedAt?: number): KnownHost => ({
    id: r.id, hostname: r.hostname, ip: r.ip, agentUrl: r.agentUrl, driver: r.driver, startedAt: r.startedAt, lastSeenAt: r.heartbeatAt, ...(stoppedAt ? { stoppedAt } : {}),
  });
  // The host record lives under the lease; its known-host copy does not, so a host that stops or dies is
  // still known afterwards, with the time it was last heard of (health-levels.ts).
  const beat = async () => {
    const found = await checkHost({ driver: opts.driver, routerStartError, routerProblem: () => routerSync?.problem(), unitsWaitFor: unitsStart.waitingFor, leftovers: () => reconciler.leftovers() });
    const moved = opts.addressName ? await addressMoved(opts.addressName, opts.address, opts.resolveAddress ?? resolveName, undefined, (ip) => localAddresses().includes(ip)) : undefined;
    problems = nextProblems(problems, moved ? [...found, { component: 'address', message: moved }] : found, Date.now());
    const r = record();
    // one txn for both (the lease session batches them): two writes per beat were 400 writes/s at 1,000 hosts
    await Promise.all([session.put(keys.host(hostId), JSON.stringify(r)), session.put(keys.knownHost(hostId), JSON.stringify(known(r)), { withoutLease: true })]);
  };
  await beat();
  let beating: Promise<void> = Promise.resolve();
  let stopping = false;
  const heartbeat = setInterval(() => {
    beating = beating.then(() => (stopping ? undefined : beat())).catch((err) => logger.debug({ err }, 'heartbeat write failed'));
  }, HEARTBEAT_INTERVAL_MS);
  heartbeat.unref();

  let fencedAt = 0;
  fencing = {
    fence(silentMs, times) {
      const fencedUnits = reconciler.fence();
      // what the session wrote under its lease (the stopped units' statuses and endpoints) is stale: the
      // lease is given up, and revoked at the first contact, before anything is written under a new one
      session.abandon();
      fencedAt = Date.now();
      const s = (ms: number) => Math.round(ms / 100) / 10;
      logger.error(
        { silentSeconds: s(silentMs), hostLossGraceSeconds: s(times.graceMs), leaseTtlSeconds: s(times.leaseTtlMs), units: fencedUnits },
        `fenced: no lease renewal from the store for ${s(silentMs)} s (the control plane places this host's units elsewhere ${s(times.graceMs)} s after its ${s(times.leaseTtlMs)} s lease ends): stopping the ${fencedUnits.length} units of this host so that none runs twice; what the store still places here starts again once it answers`,
      );
    },
    rejoin(fencedForMs) {
      const units = reconciler.rejoin();
      const seconds = Math.round(fencedForMs / 100) / 10;
      logger.warn({ fencedSeconds: seconds, units }, `the store answers again after ${seconds} s fenced: re-syncing to it (units placed elsewhere meanwhile stay stopped; units still placed here start again)`);
      if (!hostLossGrace.following) void hostLossGrace.load().catch((err) => logger.warn({ err }, 'could not read the host-loss grace'));
      // the journal is in the store: said now that it can be written, at the time of the fence (a host that
      // had nothing to stop has nothing to journal)
      if (units.length > 0) {
        const entry = fenceJournalEntry({ hostId, hostname: facts.hostname, fencedAt, fencedForMs, units });
        void opts.store.put(entry.key, entry.value).catch((err) => logger.warn({ err }, 'could not journal the fence'));
      }
    },
  };

  await hostStats.start();
  unitStats.start();
  imageGc?.start();
  const unitsStarted = await unitsStart.begin();
  fenceWatch.start();
  logger.info({ hostId, address: opts.address, api: apiPort, driver: opts.driver.name, unitsStarted }, 'agent up');

  return {
    hostId,
    reconciler,
    api,
    async stop() {
      fenceWatch.stop();
      await hostLossGrace.stop();
      clearInterval(heartbeat);
      stopping = true;
      await beating;
      // said before the lease goes: the host is down because its agent stopped, not because it was lost. The
      // session lets go of the record first, and a beat's write still on its way lands first, so neither a
      // retry of a failed beat nor one in flight can write the older record over it
      session.forget(keys.knownHost(hostId));
      await session.settled(keys.knownHost(hostId));
      await opts.store.put(keys.knownHost(hostId), JSON.stringify(known(record(), Date.now()))).catch((err) => logger.warn({ err }, 'could not record the agent stopping'));
      hostStats.stop();
      unitStats.stop();
      imageGc?.stop();
      logger.debug('stopping reconciler');
      await unitsStart.stop();
      await reconciler.stop();
      logger.debug('stopping router');
      await routerSync?.stop();
      logger.debug('stopping agent api');
      await api.close();
      logger.debug('ending lease');
      // Instances keep running; the next agent on this host adopts them. The lease goes with us.
      await session.stop();
    },
  };
}
