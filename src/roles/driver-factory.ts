/** Chooses the agent's driver: `docker` (dockerd answering on DOCKER_HOST or the usual socket) or `process`. */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Driver } from '../agent/drivers/driver.js';
import { hostUnitUser } from '../agent/drivers/process/host-unit-user.js';
import { isPrivileged } from '../core/unit-user.js';

/** What units may do on this host, whichever driver runs them. */
export interface Confinement {
  /** the host address containers' published ports bind to (the agent's --address); default: all addresses */
  bindAddress?: string;
  /** process driver: USER|UID[:GROUP|GID] units run as (default nobody); root only when the admin says so */
  unitUser?: string;
}

export async function createDriver(kind: string, dataDir: string, logger: Logger, cgroupParent?: string, confinement: Confinement = {}): Promise<Driver> {
  // checked whichever driver runs: a wrong --unit-user is an error now, not when the host falls back to processes
  const unitUser = hostUnitUser(confinement.unitUser ?? 'nobody');
  if (kind === 'docker' || kind === 'auto') {
    // each driver's modules load only when it is chosen (a driver's modules are MiBs an agent of the other driver need not pay)
    const { DockerDriver } = await import('../agent/drivers/docker/docker-driver.js');
    const docker = new DockerDriver({ bindAddress: confinement.bindAddress, onEventStreamError: (err) => logger.warn({ err }, 'docker event stream dropped; reconnecting') });
    try {
      await docker.ping();
      return docker;
    } catch (err) {
      if (kind === 'docker') {
        // Docker chosen: its engine not up yet (at boot) is not a reason to exit. The agent registers its host
        // as unhealthy, saying why, and starts its units once the engine answers (agent/start-when-ready.ts).
        logger.warn({ err: (err as Error).message }, `${(err as Error).message}: the agent starts without it and its host is unhealthy until it answers (start dockerd with scripts/start-dockerd.sh, set DOCKER_HOST, or use --driver process)`);
        return docker;
      }
      await docker.close();
      logger.warn({ err: (err as Error).message }, 'no Docker engine answers; using the process driver');
    }
  } else if (kind !== 'process') {
    throw new Error(`--driver must be docker, process or auto, got "${kind}"`);
  }
  if (process.getuid?.() !== 0) {
    logger.warn(`the agent is not root: process units run as the agent's own user (uid ${process.getuid?.()}), not ${unitUser.name}`);
  } else if (isPrivileged(unitUser)) {
    logger.warn(`--unit-user ${confinement.unitUser}: process units run as uid ${unitUser.uid} gid ${unitUser.gid}, with root's power over this host, by the admin's choice`);
  }
  const { ProcessDriver } = await import('../agent/drivers/process/process-driver.js');
  return new ProcessDriver(join(dataDir, 'process-driver'), {
    ...(cgroupParent ? { cgroupParent } : {}),
    unitUser,
    logger: { info: (m: string) => logger.info(m), warn: (m: string) => logger.warn(m) },
  });
}
