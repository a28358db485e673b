/**
 * The control plane role (`paz server`, and part of `paz up`): the orchestrator (9000), service directory
 * (9001) and scheduler (9002) APIs in one process, each announced at `/paz/services/<component>` under a
 * lease, as Paz's announce units did.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import { createContext, type ApiContext, type AuthMode } from '../api/context.js';
import { StoreMirror } from '../state/store-mirror.js';
import { createDirectoryApp } from '../api/directory/app.js';
import { createSchedulerApp } from '../api/scheduler/app.js';
import { createOrchestratorApp } from '../api/orchestrator/app.js';
import { keys } from '../core/keys.js';
import { LeaseSession } from '../state/lease-session.js';
import { ControlLoops } from '../control/control-loops.js';
import { isValidDomain } from '../router/route-table.js';
import { volumeRootProblem } from '../core/volume-policy.js';
import type { SecretKey } from '../core/secret-box.js';
import { authOffProblem } from '../core/loopback.js';
import { StoreProbe } from '../state/store-probe.js';
import { PazError, errorBody } from '../core/errors.js';
import { DEFAULT_HOST_LOSS_GRACE_SECONDS } from '../core/heartbeat.js';

export interface ControlPlaneOptions {
  store: Store;
  logger: Logger;
  /** address the APIs listen on */
  bind: string;
  /** address announced in /paz/services/<component> (what other hosts use to reach us) */
  advertise: string;
  ports: { orchestrator: number; directory: number; scheduler: number };
  announceTtlSeconds?: number;
  /** how long a host may stop heartbeating before its units are placed elsewhere */
  hostLossGraceSeconds?: number;
  /** the cluster domain: services answer on <name>.<domain> as well as <name>.paz (written to /paz/config/domain, as Paz did) */
  domain?: string;
  /** the directory host volumes must lie under (written to /paz/config/volume-root); none: no host volumes */
  volumeRoot?: string;
  /** the cluster's secrets key (roles/secrets-key.ts); none: a random one, for tests */
  secretKey?: SecretKey;
  /** default 'off', allowed only on loopback; `paz up|server` pass 'tokens' unless --no-auth */
  auth?: AuthMode;
  /** the three APIs serve HTTPS with this certificate and key (PEM, roles/tls-files.ts); announced addresses stay host:port */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** the cluster token, sent to agents for logs and stats (roles/cluster-token.ts); none: a random one, for tests */
  clusterToken?: string;
}

export interface ControlPlane {
  ctx: ApiContext;
  apps: { orchestrator: FastifyInstance; directory: FastifyInstance; scheduler: FastifyInstance };
  /** the ports actually bound (differs from the options when 0 was asked for) */
  ports: { orchestrator: number; directory: number; scheduler: number };
  stop(): Promise<void>;
}

function boundPort(app: FastifyInstance): number {
  const addr = app.server.address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const auth = opts.auth ?? 'off';
  const open = auth === 'off' ? authOffProblem([{ flag: '--bind', address: opts.bind }]) : undefined;
  if (open) throw new Error(open);
  const ctx = createContext(opts.store, Date.now, opts.secretKey, auth, opts.clusterToken, opts.hostLossGraceSeconds);
  if (opts.domain !== undefined) {
    if (!isValidDomain(opts.domain)) {
      throw new Error(`--domain must be a lower-case DNS name such as example.com, got "${opts.domain}"`);
    }
    await opts.store.put(keys.domain(), opts.domain);
  }
  if (opts.volumeRoot !== undefined) {
    const problem = volumeRootProblem(opts.volumeRoot);
    if (problem) throw new Error(problem);
    await opts.store.put(keys.volumeRoot(), opts.volumeRoot);
  }
  // agents fence themselves by the grace this control plane counts (state/host-loss-grace.ts); servers of one
  // cluster share one --host-loss-grace, and the last one started says it
  await opts.store.put(keys.hostLossGrace(), String(opts.hostLossGraceSeconds ?? DEFAULT_HOST_LOSS_GRACE_SECONDS));
  const logger = opts.logger;
  // the same mirror as createContext's, with somewhere to say that it could not load
  ctx.reads = new StoreMirror(opts.store, { logger: logger.child({ component: 'store-mirror' }) });
  // healthy only once announced (whoever waits for /health can then find us in the store), and only while
  // the store's quorum answers: a server cut off from it is unready and refuses calls at once (store-probe.ts)
  let ready = false;
  const probe = new StoreProbe(opts.store, {
    onChange: (problem) => (problem ? logger.warn({ problem }, 'the store is unreachable: unready until it answers again') : logger.info('the store answers again: ready')),
  });
  const isReady = () => ready && probe.unavailable() === undefined;
  const apps = {
    orchestrator: await createOrchestratorApp(ctx, { port: opts.ports.orchestrator, peerPorts: { directory: opts.ports.directory, scheduler: opts.ports.scheduler }, ready: isReady, logger: logger.child({ component: 'paz-orchestrator' }), tls: opts.tls }),
    directory: await createDirectoryApp(ctx, { port: opts.ports.directory, ready: isReady, logger: logger.child({ component: 'paz-service-directory' }), tls: opts.tls }),
    scheduler: await createSchedulerApp(ctx, { port: opts.ports.scheduler, ready: isReady, logger: logger.child({ component: 'paz-scheduler' }), tls: opts.tls }),
  };
  for (const app of Object.values(apps)) {
    app.addHook('onRequest', async (req, reply) => {
      const problem = probe.unavailable();
      if (problem === undefined || req.routeOptions.url === '/health') return;
      const err = new PazError('STORE_UNAVAILABLE', `this server cannot reach the store's quorum (${problem}): retry, or use another server`);
      return reply.status(err.statusCode).send(errorBody(err));
    });
  }
  const announce = new LeaseSession(opts.store, {
    ttlSeconds: opts.announceTtlSeconds ?? 15,
    onError: (err) => logger.warn({ err }, 'announce refresh failed'),
  });
  const started: FastifyInstance[] = [];
  const stopLoops: Array<() => Promise<void>> = [];
  try {
    for (const [name, app] of [
      ['orchestrator', apps.orchestrator],
      ['directory', apps.directory],
      ['scheduler', apps.scheduler],
    ] as const) {
      await app.listen({ host: opts.bind, port: opts.ports[name] });
      started.push(app);
    }
    const ports = { orchestrator: boundPort(apps.orchestrator), directory: boundPort(apps.directory), scheduler: boundPort(apps.scheduler) };
    const loops = new ControlLoops(opts.store, logger.child({ role: 'control' }), 10, opts.hostLossGraceSeconds);
    // while this replica leads, its deploys' units are placed as they are written (core/placement.ts placeAtDeploy)
    ctx.deploys.placeWith(loops.placeAtDeploy);
    await loops.start();
    stopLoops.push(() => loops.stop());
    probe.start();
    stopLoops.push(async () => probe.stop());
    await announce.start();
    await announce.put(keys.component('paz-orchestrator'), `${opts.advertise}:${ports.orchestrator}`);
    await announce.put(keys.component('paz-service-directory'), `${opts.advertise}:${ports.directory}`);
    await announce.put(keys.component('paz-scheduler'), `${opts.advertise}:${ports.scheduler}`);
    ready = true;
    logger.info({ ports, store: opts.store.name }, 'control plane up');
    return {
      ctx,
      apps,
      ports,
      async stop() {
        await announce.stop();
        for (const stop of stopLoops) await stop();
        await Promise.all(started.map((a) => a.close()));
        await ctx.reads.stop();
      },
    };
  } catch (err) {
    await announce.stop().catch(() => undefined);
    for (const stop of stopLoops) await stop().catch(() => undefined);
    await Promise.all(started.map((a) => a.close().catch(() => undefined)));
    throw err;
  }
}
