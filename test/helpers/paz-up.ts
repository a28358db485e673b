/** `paz up` on the test environment's dockerd with its HAProxy router, and the rollout questions e2e tests ask it. */
import Docker from 'dockerode';
import { PazProcess, freePort } from './paz-server.js';
import { dockerTestEnv, type DockerTestEnv } from './env.js';
import { rolloutOf, servesAlone } from './rollout.js';

export interface RolloutDoc {
  version: number;
  serving: number;
  state: string;
  reason?: string;
  strategy?: string;
  strategyReason?: string;
  units: Array<{ name: string; version: number; healthy: boolean; state: string; reason?: string }>;
}

export interface PazUp {
  env: DockerTestEnv;
  docker: Docker;
  paz: PazProcess;
  routerPort: number;
  /** GET /services/:name/rollout */
  rollout(name: string): Promise<RolloutDoc>;
  /** waits until `version` succeeded and only its instances are left; throws if it failed */
  settled(name: string, version: number, timeoutMs?: number): Promise<RolloutDoc>;
  /** stops paz and removes every container it managed */
  close(): Promise<void>;
}

export interface PazUpOptions {
  /** API tokens on (`paz up`'s default): `paz.token` is the admin token, and the helpers here send it */
  auth?: boolean;
  /** where paz up reaches dockerd (DOCKER_HOST): the environment's, or the test's proxy in front of it */
  dockerHost?: string;
}

export async function startPazUp(extraArgs: string[] = [], opts: PazUpOptions = {}): Promise<PazUp> {
  const env = dockerTestEnv();
  const docker = new Docker({ socketPath: env.socketPath });
  const routerPort = await freePort();
  const paz = new PazProcess({
    role: 'up',
    extraArgs: ['--driver', 'docker', '--agent-port', '0', '--router-port', String(routerPort), '--router-bind', '127.0.0.1', ...extraArgs],
    env: { DOCKER_HOST: opts.dockerHost ?? env.dockerHost },
    auth: opts.auth,
  });
  await paz.start();
  // read when asked: paz.token is known only once paz started
  const headers = () => (opts.auth ? paz.authHeaders() : {});
  const rollout = (name: string): Promise<RolloutDoc> => rolloutOf(paz.orchestrator, name, headers());
  return {
    env,
    docker,
    paz,
    routerPort,
    rollout,
    settled: (name, version, timeoutMs = 60_000) => servesAlone(paz.orchestrator, name, version, timeoutMs, headers()),
    close: async () => {
      await paz.close();
      for (const c of await docker.listContainers({ all: true, filters: { label: ['paz.managed=true'] } })) {
        await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
      }
    },
  };
}
