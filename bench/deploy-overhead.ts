/**
 * Deploy overhead: from the deploy hook (POST /hooks/deploy with an API token) to the new version serving
 * through the router (`Host: <svc>.paz` answering the new body), minus the time `docker run` of the same
 * image takes to answer on a published port — what Paz adds to starting the container itself.
 *
 * Needs the test environment (dockerd and a registry holding paz/hello:1 and :2): `npm run bench` runs in it
 * as root (scripts/run-tests.mjs --); elsewhere this benchmark skips and says why. Both images are pulled
 * before measuring, so neither side counts a pull. Deploys alternate :2 and :1 (each a new version, rolled
 * out with Paz's defaults); each round waits for the rollout to settle before the next one.
 */
import { existsSync } from 'node:fs';
import Docker from 'dockerode';
import type { Benchmark } from './lib/bench.js';
import { httpCall } from './lib/http-load.js';
import { median, msSince, until } from './lib/measure.js';
import { PazRole, pazJson } from './lib/paz-process.js';
import { freePort } from './lib/processes.js';
import { figure } from './lib/report.js';

const SERVICE = 'bench-deploy';

function environment(): { socketPath: string; dockerHost: string; image1: string; image2: string } | string {
  const { DOCKER_HOST, PAZ_TEST_IMAGE_1, PAZ_TEST_IMAGE_2 } = process.env;
  if (!PAZ_TEST_IMAGE_1 || !PAZ_TEST_IMAGE_2 || !DOCKER_HOST?.startsWith('unix://')) {
    return 'no Docker test environment (run `npm run bench` as root with dockerd installed: it runs inside scripts/run-tests.mjs\'s environment)';
  }
  const socketPath = DOCKER_HOST.slice('unix://'.length);
  if (!existsSync(socketPath)) return `the dockerd socket ${socketPath} does not exist`;
  return { socketPath, dockerHost: DOCKER_HOST, image1: PAZ_TEST_IMAGE_1, image2: PAZ_TEST_IMAGE_2 };
}

async function pull(docker: Docker, image: string): Promise<void> {
  const stream = await docker.pull(image);
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())));
}

const bodyOf = (image: string) => `Hello World ${image.endsWith(':2') ? 2 : 1}\n`;

/** polls (a new connection each time, as a fresh client) until `port` answers `body`; ms since `t0` */
async function answersWith(port: number, body: string, t0: bigint, host?: string): Promise<number> {
  await until(`${body.trim()} on ${port}`, async () => {
    const r = await httpCall(port, { host, timeoutMs: 2000 }).catch(() => undefined);
    return r?.status === 200 && r.body.toString() === body;
  }, 60_000, 5);
  return msSince(t0);
}

/** `docker run -d -p 127.0.0.1:PORT:9000 image` (through the API, as Paz's agent does) until it answers */
async function dockerRunMs(docker: Docker, image: string): Promise<number> {
  const port = await freePort();
  const t0 = process.hrtime.bigint();
  const c = await docker.createContainer({
    Image: image,
    Labels: { 'paz.bench': 'docker-run' },
    ExposedPorts: { '9000/tcp': {} },
    HostConfig: { PortBindings: { '9000/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
  });
  try {
    await c.start();
    return await answersWith(port, bodyOf(image), t0);
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}

export const benchmark: Benchmark = {
  name: 'deploy',
  title: 'Deploy overhead: deploy hook to the new version serving through the router',
  async run(ctx) {
    const method = 'the deploy hook (POST /hooks/deploy, admin token) of `paz up --driver docker` to `Host: bench-deploy.paz` answering the new body through the router, minus the time a container of the same image takes from create + start (Docker API) to answering on a published port.';
    const env = environment();
    if (typeof env === 'string') return { method, figures: [], notes: [], skipped: env };
    const docker = new Docker({ socketPath: env.socketPath });
    const rounds = ctx.pick(5, 1);
    await pull(docker, env.image1);
    await pull(docker, env.image2);
    const up = new PazRole({ role: 'up', extraArgs: ['--driver', 'docker'], env: { DOCKER_HOST: env.dockerHost } });
    try {
      await up.start();
      const h = up.authHeaders;
      const repo = env.image1.replace(/:1$/, '');
      await pazJson(up.ports.directory, 'POST', '/services', h, { name: SERVICE, description: 'deploy benchmark', dockerImage: repo, ports: [{ container: 9000 }], numInstances: 1 }, 201);
      const deploy = (image: string) => pazJson(up.ports.scheduler, 'POST', '/hooks/deploy', h, { serviceName: SERVICE, dockerRepository: image }, 200);
      const settled = (version: number) =>
        until(`version ${version} serving alone`, async () => {
          const r = (await pazJson(up.ports.orchestrator, 'GET', `/services/${SERVICE}/rollout`, h)).doc;
          if (r.version === version && r.state === 'failed') throw new Error(`deploy ${version} failed: ${r.reason}`);
          return r.version === version && r.state === 'succeeded' && r.units.every((u: { version: number }) => u.version === version);
        }, 120_000, 100);
      await deploy(env.image1);
      await settled(1);
      await answersWith(up.ports.router, bodyOf(env.image1), process.hrtime.bigint(), `${SERVICE}.paz`);

      const deployMs: number[] = [];
      const runMs: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const image = i % 2 === 0 ? env.image2 : env.image1;
        runMs.push(await dockerRunMs(docker, image));
        const t0 = process.hrtime.bigint();
        await deploy(image);
        deployMs.push(await answersWith(up.ports.router, bodyOf(image), t0, `${SERVICE}.paz`));
        await settled(i + 2);
      }
      const d = median(deployMs);
      const r = median(runMs);
      ctx.log(`deploy to serving ${d.toFixed(0)} ms; docker run to answering ${r.toFixed(0)} ms; overhead ${(d - r).toFixed(0)} ms`);
      return {
        method,
        figures: [
          figure({ name: 'deploy hook to new version serving', unit: 'ms', value: d, baseline: { name: 'docker run to answering', value: r } }),
          figure({ name: 'deploy overhead (deploy minus docker run)', unit: 'ms', value: d - r, target: { on: 'value', op: '<=', value: 1000 } }),
        ],
        notes: [`median of ${rounds} deploy(s) alternating ${env.image2} and ${env.image1}, each after the previous rollout settled; rounds: ${deployMs.map((x) => x.toFixed(0)).join(', ')} ms deploy, ${runMs.map((x) => x.toFixed(0)).join(', ')} ms docker run`],
      };
    } finally {
      await up.close();
      for (const c of await docker.listContainers({ all: true, filters: { label: ['paz.managed=true'] } })) {
        await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
      }
    }
  },
};
