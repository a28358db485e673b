/** `paz server` (control plane), `paz agent` (one per host) and `paz up` (both, on one host). */
import { openCheckedStore } from '../roles/open-store.js';
import { loadClusterToken } from '../roles/cluster-token.js';
import { createLogger } from '../roles/logger.js';
import { stopSignals } from '../roles/run-until-signal.js';
import { parse, roleConfig, roleOptions } from './options.js';
import { claimDataDir, releaseDataDir } from '../roles/pid-file.js';
import { unfinishedRestore } from '../state/backup.js';
import { loadSecretKey } from '../roles/secrets-key.js';
import { checkBeforeStart } from '../roles/start-checks.js';
import { bindProblem, settleAddresses } from '../roles/routable-address.js';
import type { SecretKey } from '../core/secret-box.js';
import { makePrivateDataDir } from '../roles/data-dir.js';
import { startupDone } from '../roles/startup-heap.js';

export const serverUsage = `usage: paz up|server|agent [options]

  --data-dir DIR            where the embedded store and host id live (PAZ_DATA_DIR, default ~/.paz)
  --store URL               sqlite:/path/paz.db (default: DIR/paz.db) or etcd://h1:2379,h2:2379 (PAZ_STORE);
                            etcd://user:password@h1:2379 for etcd's auth, etcds://… for TLS; a cluster run with
                            lower limits than etcd's defaults: etcd://h1:2379?max-txn-ops=N&max-request-bytes=N
  --log-level LEVEL         (PAZ_LOG_LEVEL, default info)
  --cluster-token TOKEN     the secret servers and agents share (PAZ_CLUSTER_TOKEN; default DIR/cluster-token,
                            made by paz up/server on first start; an agent on another host must be given it)
  --store-ca FILE           etcd over TLS: the CA that signed etcd's certificate (PAZ_STORE_CA; etcds:// uses the system's)
  --store-cert FILE         etcd over TLS: this client's certificate (PAZ_STORE_CERT)
  --store-key FILE          etcd over TLS: this client's key (PAZ_STORE_KEY)
control plane (server, up):
  --bind ADDR               address the APIs listen on (PAZ_BIND, default 127.0.0.1; another address
                            needs auth on: every route but /health takes an API token)
  --no-auth                 no API tokens: local development only, refused unless every address Paz
                            listens on is loopback (PAZ_AUTH=off; default on: the first start writes
                            the admin token to DIR/admin-token, which the CLI sends by itself)
  --advertise ADDR          address announced at /paz/services/* (PAZ_ADVERTISE; default 127.0.0.1 with a store on
                            this host, else the source address of this host's route to the store; never loopback then)
  --orchestrator-port N     (PAZ_ORCHESTRATOR_PORT, default 9000)
  --directory-port N        (PAZ_SERVICE_DIRECTORY_PORT, default 9001)
  --scheduler-port N        (PAZ_SCHEDULER_PORT, default 9002)
  --domain NAME             services also answer on <name>.NAME (PAZ_DOMAIN; kept at /paz/config/domain)
  --host-loss-grace SECS    a host silent this long has its units placed elsewhere (PAZ_HOST_LOSS_GRACE, default 30)
  --tls-cert FILE           the APIs serve HTTPS with this PEM certificate (PAZ_TLS_CERT; needs --tls-key)
  --tls-key FILE            the certificate's PEM private key, no passphrase (PAZ_TLS_KEY)
  --volume-root DIR         host volumes must lie under DIR (PAZ_VOLUME_ROOT, default DATA_DIR/volumes; kept at
                            /paz/config/volume-root, and agents check again against their own)
agent (agent, up):
  --driver docker|process|auto   how units run (PAZ_DRIVER, default auto: docker when dockerd answers)
  --address ADDR            this host's address for its instances' endpoints, an IP or a host name (resolved at start
                            and checked at each heartbeat) (PAZ_ADDRESS, default --advertise, else as --advertise's)
  --agent-port N            the agent's logs/stats API (PAZ_AGENT_PORT, default 9010)
  --agent-bind ADDR         address the agent's API listens on (PAZ_AGENT_BIND, default 127.0.0.1 with a store on
                            this host, else --address's: where the servers fetch logs and stats)
  --label KEY=VALUE         host label, repeatable (PAZ_LABELS=k=v,k=v)
  --cgroup-parent NAME      process driver: cgroup v1 directory holding the units' cgroups (PAZ_CGROUP_PARENT, default paz)
  --unit-user USER|UID[:GID]  process driver: the user units run as (PAZ_UNIT_USER, default nobody; root only if you say root)
  --router-port N           the host's router (HAProxy): routes Host <service>.paz (PAZ_ROUTER_PORT, default 80)
  --router-bind ADDR        (PAZ_ROUTER_BIND, default 0.0.0.0)
  --router-tls-dir DIR      the router serves HTTPS with the PEM files here, certificate + key each, picked by SNI;
                            public-facing <svc>.<domain> with a certificate redirect HTTP to HTTPS (PAZ_ROUTER_TLS_DIR)
  --router-https-port N     the router's HTTPS port (PAZ_ROUTER_HTTPS_PORT, default 443 with --router-tls-dir)
  --router-threads N        HAProxy's threads, 1 to 64 (PAZ_ROUTER_THREADS, default half the host's CPUs, at least 1:
                            it shares the host with the apps it routes to)
  --no-router               run no router on this host (PAZ_ROUTER=off)
  --resync-seconds N        how often the agent's reconciler and router run a pass whatever the watches say: retries
                            what failed (PAZ_RESYNC_SECONDS, default 5; changes come by watch within milliseconds)
  --image-keep N            the images of each service's newest N versions (and the serving one's) stay on the host;
                            older ones of repositories Paz deploys from or pulled (a deleted service's too) are
                            removed (PAZ_IMAGE_KEEP, default 5; 0: none)
  --image-gc-seconds N      how often the agent looks for images to remove (PAZ_IMAGE_GC_SECONDS, default 600)
  --no-agent                (up) run the control plane only

examples: paz up    paz server --store etcd://10.0.0.2:2379    paz agent --store etcd://10.0.0.2:2379 --cluster-token TOKEN`;

export async function serverCommand(args: string[], role: 'server' | 'up' | 'agent'): Promise<number> {
  const { values } = parse(args, roleOptions);
  if (values.help) {
    console.log(serverUsage);
    return 0;
  }
  const cfg = roleConfig(values);
  const runs = { controlPlane: role !== 'agent', agent: role === 'agent' || (role === 'up' && !values['no-agent']) };
  // with a store on another host, 127.0.0.1 would be announced to every other host: refused before anything is claimed
  const addresses = await settleAddresses(cfg);
  if ('refused' in addresses) {
    console.error(`paz ${role}: ${addresses.refused}`);
    return 2;
  }
  const binds = [
    ...(runs.controlPlane ? [{ flag: '--bind', address: cfg.bind }] : []),
    ...(runs.agent ? [{ flag: '--agent-bind', address: addresses.agentBind }] : []),
    ...(runs.agent && cfg.agent.router ? [{ flag: '--router-bind', address: cfg.agent.router.bind }] : []),
  ];
  const unbindable = await bindProblem(binds);
  if (unbindable) {
    console.error(`paz ${role}: ${unbindable}`);
    return 2;
  }
  cfg.advertise = addresses.advertise;
  cfg.agent.address = addresses.address;
  cfg.agent.bind = addresses.agentBind;
  const checked = checkBeforeStart(cfg, runs);
  if ('refused' in checked) {
    console.error(`paz ${role}: ${checked.refused}`);
    return 2;
  }
  const { tls, routerTls } = checked;
  const runsControlPlane = runs.controlPlane;
  const runsAgent = runs.agent;
  // from here on a SIGTERM stops Paz cleanly, even while it is still starting
  const signals = stopSignals();
  try {
    makePrivateDataDir(cfg.dataDir);
    // one agent per data dir: a second would adopt and run the same units again
    if (runsAgent) claimDataDir(cfg.dataDir, role);
    const logger = createLogger(cfg.logLevel, `paz-${role}`);
    let secretKey: SecretKey;
    let clusterToken: string;
    try {
      secretKey = loadSecretKey(cfg.dataDir);
      // servers make the cluster's token on first start; an agent alone must be given it
      clusterToken = loadClusterToken({ dataDir: cfg.dataDir, given: cfg.clusterToken, create: role !== 'agent' });
    } catch (err) {
      if (runsAgent) releaseDataDir(cfg.dataDir);
      throw err;
    }
    const store = await openCheckedStore(cfg.storeUrl, cfg.storeTls).catch((err) => {
      if (runsAgent) releaseDataDir(cfg.dataDir);
      throw err;
    });
    const halfRestored = await unfinishedRestore(store);
    if (halfRestored) {
      await store.close();
      if (runsAgent) releaseDataDir(cfg.dataDir);
      throw new Error(halfRestored);
    }
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
      if (runsControlPlane) {
        // before the APIs answer: whoever waits for /health finds the file
        // loaded only by the roles that run them: an agent never loads the APIs' modules, a server never the drivers'
        const [{ startControlPlane }, { ensureAdminToken }, { Tokens }] = await Promise.all([import('../roles/control-plane.js'), import('../roles/admin-token.js'), import('../state/tokens.js')]);
        const adminTokenFile = cfg.auth === 'tokens' ? await ensureAdminToken(new Tokens(store), cfg.dataDir, logger) : undefined;
        const plane = await startControlPlane({ store, logger, bind: cfg.bind, advertise: cfg.advertise, ports: cfg.ports, domain: cfg.domain, volumeRoot: cfg.volumeRoot, hostLossGraceSeconds: cfg.hostLossGraceSeconds, secretKey, tls, clusterToken, auth: cfg.auth });
        stops.push(['control plane', () => plane.stop()]);
        controlPorts.push(plane.ports.orchestrator, plane.ports.directory, plane.ports.scheduler);
        console.error(
          `paz ${role}: orchestrator ${tls ? 'https' : 'http'}://${cfg.advertise}:${plane.ports.orchestrator} (docs at /docs), ` +
            `service directory :${plane.ports.directory}, scheduler :${plane.ports.scheduler}, store ${store.name}`,
        );
        if (cfg.auth === 'off') {
          const warning = `AUTHENTICATION IS OFF (--no-auth / PAZ_AUTH=off): any user or program on this host can deploy and run anything through ${cfg.bind}. Local development only.`;
          logger.warn(warning);
          console.error(`\n*** paz ${role}: ${warning} ***\n`);
        } else if (adminTokenFile) {
          console.error(`paz ${role}: admin token written to ${adminTokenFile} (mode 0600); the paz CLI on this host sends it by itself`);
        }
      }
      if (runsAgent) {
        const [{ startAgent }, { createDriver }] = await Promise.all([import('../agent/agent.js'), import('../roles/driver-factory.js')]);
        const driver = await createDriver(cfg.agent.driver, cfg.dataDir, logger.child({ component: 'driver' }), cfg.agent.cgroupParent, { bindAddress: cfg.agent.address, unitUser: cfg.agent.unitUser });
        stops.push(['driver', () => driver.close()]);
        const agent = await startAgent({
          store,
          driver,
          // `role`, not `component`: its children name their component (router, reconciler …), and a line with
          // two `component` fields is not JSON every reader takes (jq keeps the last, others refuse it)
          logger: logger.child({ role: 'agent' }),
          dataDir: cfg.dataDir,
          address: cfg.agent.address,
          ...(addresses.addressName ? { addressName: addresses.addressName } : {}),
          bind: cfg.agent.bind,
          port: cfg.agent.port,
          labels: cfg.agent.labels,
          router: cfg.agent.router && {
            bind: cfg.agent.router.bind,
            port: cfg.agent.router.port,
            ...(routerTls ? { tls: routerTls } : {}),
            ...(cfg.agent.router.threads !== undefined ? { threads: cfg.agent.router.threads } : {}),
          },
          reservedPorts: controlPorts,
          ...(cfg.agent.resyncSeconds !== undefined ? { resyncMs: cfg.agent.resyncSeconds * 1000 } : {}),
          ...(cfg.agent.imageKeep !== undefined ? { imageKeepVersions: cfg.agent.imageKeep } : {}),
          ...(cfg.agent.imageGcSeconds !== undefined ? { imageGcIntervalMs: cfg.agent.imageGcSeconds * 1000 } : {}),
          volumeRoot: cfg.volumeRoot,
          secretKey,
          clusterToken,
        });
        stops.push(['agent', () => agent.stop()]);
        console.error(`paz ${role}: agent for host ${agent.hostId} (${cfg.agent.address}, driver ${driver.name})`);
        // --driver auto found no Docker: said where the user looks, not only in the JSON log (a forgotten dockerd
        // otherwise shows up later, as a deploy failing with "program … is not an executable file")
        if (cfg.agent.driver === 'auto' && driver.name === 'process') {
          console.error(`paz ${role}: no Docker daemon answered (${process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'}), so units run as processes on this host; to run images, start dockerd (scripts/start-dockerd.sh) and start paz ${role} again`);
        }
      }
    } catch (err) {
      await stopAll();
      throw err;
    }
    // up: a server's young generation may grow with its load again (held small while it started)
    startupDone();
    await signals.runUntilSignal(logger, stopAll);
    return 0;
  } finally {
    signals.dispose();
  }
}
