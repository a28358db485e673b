/** `paz server` (control plane), `paz agent` (one per host) and `paz up` (both, on one host). */
import { openStore } from '../store/index.js';
import { startControlPlane } from '../roles/control-plane.js';
import { startAgent } from '../agent/agent.js';
import { createDriver } from '../roles/driver-factory.js';
import { createLogger } from '../roles/logger.js';
import { runUntilSignal } from '../roles/run-until-signal.js';
import { parse, roleConfig, roleOptions } from './options.js';
import { claimDataDir, releaseDataDir } from '../roles/pid-file.js';
import { loadSecretKey } from '../roles/secrets-key.js';
import { makePrivateDataDir } from '../roles/data-dir.js';
import { volumeRootProblem } from '../core/volume-policy.js';

export const serverUsage = `usage: paz up|server|agent [options]

  --data-dir DIR            where the embedded store and host id live (PAZ_DATA_DIR, default ~/.paz)
  --store URL               sqlite:/path/paz.db (default: DIR/paz.db) or etcd://h1:2379,h2:2379 (PAZ_STORE)
  --log-level LEVEL         (PAZ_LOG_LEVEL, default info)
control plane (server, up):
  --bind ADDR               address the APIs listen on (PAZ_BIND, default 0.0.0.0)
  --advertise ADDR          address announced at /paz/services/* (PAZ_ADVERTISE, default 127.0.0.1)
  --orchestrator-port N     (PAZ_ORCHESTRATOR_PORT, default 9000)
  --directory-port N        (PAZ_SERVICE_DIRECTORY_PORT, default 9001)
  --scheduler-port N        (PAZ_SCHEDULER_PORT, default 9002)
  --domain NAME             services also answer on <name>.NAME (PAZ_DOMAIN; kept at /paz/config/domain)
  --host-loss-grace SECS    a host silent this long has its units placed elsewhere (PAZ_HOST_LOSS_GRACE, default 30)
  --volume-root DIR         host volumes must lie under DIR (PAZ_VOLUME_ROOT, default DATA_DIR/volumes; kept at
                            /paz/config/volume-root, and agents check again against their own)
agent (agent, up):
  --driver docker|process|auto   how units run (PAZ_DRIVER, default auto: docker when dockerd answers)
  --address ADDR            this host's address for its instances' endpoints (PAZ_ADDRESS, default --advertise)
  --agent-port N            the agent's logs/stats API (PAZ_AGENT_PORT, default 9010)
  --label KEY=VALUE         host label, repeatable (PAZ_LABELS=k=v,k=v)
  --cgroup-parent NAME      process driver: cgroup v1 directory holding the units' cgroups (PAZ_CGROUP_PARENT, default paz)
  --unit-user USER|UID[:GID]  process driver: the user units run as (PAZ_UNIT_USER, default nobody; root only if you say root)
  --router-port N           the host's router (HAProxy): routes Host <service>.paz (PAZ_ROUTER_PORT, default 80)
  --router-bind ADDR        (PAZ_ROUTER_BIND, default 0.0.0.0)
  --no-router               run no router on this host (PAZ_ROUTER=off)
  --no-agent                (up) run the control plane only`;

export async function serverCommand(args: string[], role: 'server' | 'up' | 'agent'): Promise<number> {
  const { values } = parse(args, roleOptions);
  if (values.help) {
    console.log(serverUsage);
    return 0;
  }
  const cfg = roleConfig(values);
  makePrivateDataDir(cfg.dataDir);
  const rootProblem = volumeRootProblem(cfg.volumeRoot, cfg.dataDir);
  if (rootProblem) throw new Error(rootProblem);
  const runsAgent = role === 'agent' || (role === 'up' && !values['no-agent']);
  // one agent per data dir: a second would adopt and run the same units again
  if (runsAgent) claimDataDir(cfg.dataDir, role);
  const logger = createLogger(cfg.logLevel, `paz-${role}`);
  const secretKey = loadSecretKey(cfg.dataDir);
  const store = await openStore(cfg.storeUrl).catch((err) => {
    if (runsAgent) releaseDataDir(cfg.dataDir);
    throw err;
  });
  const stops: Array<[string, () => Promise<void>]> = [];
  const stopAll = async () => {
    for (const [what, stop] of stops.reverse()) {
      logger.debug(`stopping ${what}`);
      await stop().catch((err) => logger.error({ err }, `stopping ${what} failed`));
    }
    await store.close();
    if (runsAgent) releaseDataDir(cfg.dataDir);
    logger.info('stopped');
  };
  const controlPorts: number[] = [];
  try {
    if (role !== 'agent') {
      const plane = await startControlPlane({ store, logger, bind: cfg.bind, advertise: cfg.advertise, ports: cfg.ports, domain: cfg.domain, volumeRoot: cfg.volumeRoot, hostLossGraceSeconds: cfg.hostLossGraceSeconds, secretKey });
      stops.push(['control plane', () => plane.stop()]);
      controlPorts.push(plane.ports.orchestrator, plane.ports.directory, plane.ports.scheduler);
      console.error(
        `paz ${role}: orchestrator http://${cfg.advertise}:${plane.ports.orchestrator} (docs at /docs), ` +
          `service directory :${plane.ports.directory}, scheduler :${plane.ports.scheduler}, store ${store.name}`,
      );
    }
    if (runsAgent) {
      const driver = await createDriver(cfg.agent.driver, cfg.dataDir, logger.child({ component: 'driver' }), cfg.agent.cgroupParent, { bindAddress: cfg.agent.address, unitUser: cfg.agent.unitUser });
      stops.push(['driver', () => driver.close()]);
      const agent = await startAgent({
        store,
        driver,
        logger: logger.child({ component: 'paz-agent' }),
        dataDir: cfg.dataDir,
        address: cfg.agent.address,
        bind: role === 'up' ? cfg.bind : '0.0.0.0',
        port: cfg.agent.port,
        labels: cfg.agent.labels,
        router: cfg.agent.router,
        reservedPorts: controlPorts,
        volumeRoot: cfg.volumeRoot,
        secretKey,
      });
      stops.push(['agent', () => agent.stop()]);
      console.error(`paz ${role}: agent for host ${agent.hostId} (${cfg.agent.address}, driver ${driver.name})`);
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  await runUntilSignal(logger, stopAll);
  return 0;
}
