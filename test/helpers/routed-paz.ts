/**
 * `paz up` for end-to-end tests: the docker driver against the test environment's dockerd and the router
 * on a free loopback port. close() stops Paz and removes every container it managed.
 */
import Docker from 'dockerode';
import { PazProcess, request, freePort } from './paz-server.js';
import { dockerTestEnv, type DockerTestEnv } from './env.js';
import { waitFor } from './wait.js';

export class RoutedPaz {
  private constructor(
    readonly env: DockerTestEnv,
    readonly docker: Docker,
    readonly paz: PazProcess,
    readonly routerPort: number,
  ) {}

  /** Starts `paz up`; `domain` is the cluster domain (`--domain`). */
  static async start(opts: { domain?: string } = {}): Promise<RoutedPaz> {
    const env = dockerTestEnv();
    const routerPort = await freePort();
    const paz = new PazProcess({
      role: 'up',
      extraArgs: ['--driver', 'docker', '--agent-port', '0', '--router-port', String(routerPort), '--router-bind', '127.0.0.1', ...(opts.domain ? ['--domain', opts.domain] : [])],
      env: { DOCKER_HOST: env.dockerHost },
    });
    await paz.start();
    return new RoutedPaz(env, new Docker({ socketPath: env.socketPath }), paz, routerPort);
  }

  get orchestrator(): string {
    return this.paz.orchestrator;
  }

  async rollout(name: string) {
    return (await request('GET', `${this.orchestrator}/services/${name}/rollout`)).body.doc;
  }

  /** Waits until `version` succeeded and serves alone (a failed deploy's reason shows in the timeout). */
  settled(name: string, version: number) {
    return waitFor(`${name} version ${version} to serve alone`, async () => {
      const r = await this.rollout(name);
      if (r.version === version && r.state === 'failed') throw new Error(`deploy failed: ${r.reason}`);
      return r.version === version && r.state === 'succeeded' && r.units.every((u: { version: number }) => u.version === version) ? r : undefined;
    });
  }

  async close(): Promise<void> {
    await this.paz.close();
    for (const c of await this.docker.listContainers({ all: true, filters: { label: ['paz.managed=true'] } })) {
      await this.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    }
  }
}
