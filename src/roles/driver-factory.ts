/** Chooses the agent's driver: `docker` (dockerd answering on DOCKER_HOST or the usual socket) or `process`. */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Driver } from '../agent/drivers/driver.js';
import { DockerDriver } from '../agent/drivers/docker/docker-driver.js';
import { ProcessDriver } from '../agent/drivers/process/process-driver.js';

export async function createDriver(kind: string, dataDir: string, logger: Logger, cgroupParent?: string): Promise<Driver> {
  if (kind === 'docker' || kind === 'auto') {
    const docker = new DockerDriver({ onEventStreamError: (err) => logger.warn({ err }, 'docker event stream dropped; reconnecting') });
    try {
      await docker.ping();
      return docker;
    } catch (err) {
      await docker.close();
      if (kind === 'docker') {
        throw new Error(`no Docker engine answers (${(err as Error).message}): start dockerd (scripts/start-dockerd.sh), set DOCKER_HOST, or use --driver process`);
      }
      logger.warn({ err: (err as Error).message }, 'no Docker engine answers; using the process driver');
    }
  } else if (kind !== 'process') {
    throw new Error(`--driver must be docker, process or auto, got "${kind}"`);
  }
  return new ProcessDriver(join(dataDir, 'process-driver'), {
    ...(cgroupParent ? { cgroupParent } : {}),
    logger: { info: (m: string) => logger.info(m), warn: (m: string) => logger.warn(m) },
  });
}
