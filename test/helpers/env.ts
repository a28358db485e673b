/**
 * What tests need to find the test environment that scripts/run-tests.mjs makes (a network namespace
 * with its own dockerd and a registry holding the hello images), and when to skip without it.
 *
 *   import { skipUnlessDocker, dockerTestEnv } from './helpers/env.js';
 *   describe('something with docker', skipUnlessDocker, () => {
 *     let env: DockerTestEnv;
 *     before(() => { env = dockerTestEnv(); });   // throws a clear error in CI when the environment is missing
 *     ...
 *   });
 *
 * The daemon starts without images: pull `env.image1` / `env.image2` from `env.registry` first.
 * Tests run inside the environment's network namespace, so 127.0.0.1 is that namespace's loopback:
 * published container ports and the registry are reachable there and nowhere else.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DockerTestEnv {
  /** as in DOCKER_HOST, e.g. unix:///tmp/paz-test-123-x/docker.sock */
  dockerHost: string;
  /** the unix socket of the test dockerd */
  socketPath: string;
  /** the registry holding the hello images, e.g. 127.0.0.1:5000 */
  registry: string;
  /** hello image answering "Hello World 1", e.g. 127.0.0.1:5000/paz/hello:1 */
  image1: string;
  /** hello image answering "Hello World 2" */
  image2: string;
  /** the seed walkthrough's image name in the test registry (same image as image1) */
  contrivedServiceImage: string;
  /** name of the network namespace the tests run in */
  netns?: string;
  /** the environment's temp dir (removed at teardown) */
  tmp?: string;
}

/** true when CI=true or PAZ_TEST_REQUIRE_DOCKER=1: a missing environment must fail, not skip */
export function dockerRequired(): boolean {
  return process.env.CI === 'true' || process.env.PAZ_TEST_REQUIRE_DOCKER === '1';
}

function socketPathOf(dockerHost: string | undefined): string | undefined {
  if (!dockerHost) return undefined;
  return dockerHost.startsWith('unix://') ? dockerHost.slice('unix://'.length) : undefined;
}

/** why the Docker test environment is not usable, or undefined when it is */
export function dockerUnavailableReason(): string | undefined {
  const e = process.env;
  if (!e.PAZ_TEST_REGISTRY || !e.PAZ_TEST_IMAGE_1 || !e.PAZ_TEST_IMAGE_2) {
    return 'no Docker test environment (run the tests with `npm test` or `node scripts/run-tests.mjs` as root with dockerd installed)';
  }
  const socketPath = socketPathOf(e.DOCKER_HOST);
  if (!socketPath) return `DOCKER_HOST must be a unix:// socket, got ${JSON.stringify(e.DOCKER_HOST ?? '')}`;
  if (!existsSync(socketPath)) return `the test dockerd socket ${socketPath} does not exist`;
  return undefined;
}

export function dockerAvailable(): boolean {
  return dockerUnavailableReason() === undefined;
}

/**
 * Option object for node:test (`test(name, skipUnlessDocker, fn)` / `describe(...)`): skips with the
 * reason when the environment is missing, except when it is required, where the tests run and
 * dockerTestEnv() fails them with that reason.
 */
export const skipUnlessDocker: { skip: string | false } = {
  skip: dockerAvailable() || dockerRequired() ? false : (dockerUnavailableReason() ?? false),
};

/** the environment's addresses; throws with the reason when it is missing */
export function dockerTestEnv(): DockerTestEnv {
  const reason = dockerUnavailableReason();
  if (reason) {
    throw new Error(`Docker test environment required${dockerRequired() ? ' (CI=true or PAZ_TEST_REQUIRE_DOCKER=1)' : ''} but missing: ${reason}`);
  }
  const e = process.env;
  const registry = e.PAZ_TEST_REGISTRY as string;
  return {
    dockerHost: e.DOCKER_HOST as string,
    socketPath: socketPathOf(e.DOCKER_HOST) as string,
    registry,
    image1: e.PAZ_TEST_IMAGE_1 as string,
    image2: e.PAZ_TEST_IMAGE_2 as string,
    contrivedServiceImage: `${registry}/lukebond/contrived-service-1:0.0.1`,
    netns: e.PAZ_TEST_NETNS,
    tmp: e.PAZ_TEST_TMP,
  };
}

/** the test registry address, or undefined without the environment */
export const testRegistry: string | undefined = process.env.PAZ_TEST_REGISTRY;
/** hello image 1 ("Hello World 1") in the test registry, or undefined without the environment */
export const helloImage1: string | undefined = process.env.PAZ_TEST_IMAGE_1;
/** hello image 2 ("Hello World 2") in the test registry, or undefined without the environment */
export const helloImage2: string | undefined = process.env.PAZ_TEST_IMAGE_2;

const madeDirs: string[] = [];
let cleanupRegistered = false;

/**
 * A fresh temp dir (under the environment's temp dir when there is one), removed when the test
 * process exits.
 */
export function tmpDir(prefix = 'paz-'): string {
  const base = process.env.PAZ_TEST_TMP && existsSync(process.env.PAZ_TEST_TMP) ? process.env.PAZ_TEST_TMP : tmpdir();
  const dir = mkdtempSync(join(base, prefix));
  madeDirs.push(dir);
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    process.on('exit', () => {
      for (const d of madeDirs) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

/**
 * A TCP port that is free on 127.0.0.1 right now (the kernel picks it; we release it at once). Inside
 * the test environment this is the namespace's loopback, where published container ports live.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** one GET, bounded by timeoutMs; rejects on connection errors */
export async function httpGet(url: string, timeoutMs = 10_000): Promise<HttpAnswer> {
  // a timer that holds the event loop, unlike AbortSignal.timeout's: a docker-driver run once ended with
  // "Promise resolution is still pending but the event loop has already resolved" in waitForHttp, the loop
  // left with nothing but an unref'd timer and a fetch whose socket did not hold it
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)), timeoutMs);
  try {
    const res = await fetch(url, { signal: abort.signal });
    return { status: res.status, body: await res.text() };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * GETs `url` until it answers (any status, or one that `accept` likes), retrying connection errors
 * every 200 ms for at most timeoutMs: a container's server needs a moment after the container starts.
 */
export async function waitForHttp(
  url: string,
  { timeoutMs = 30_000, accept = () => true }: { timeoutMs?: number; accept?: (a: HttpAnswer) => boolean } = {},
): Promise<HttpAnswer> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const answer = await httpGet(url, Math.max(1_000, Math.min(10_000, deadline - Date.now())));
      if (accept(answer)) return answer;
      last = new Error(`answered ${answer.status}: ${answer.body.slice(0, 200)}`);
    } catch (err) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer as expected within ${timeoutMs} ms: ${last instanceof Error ? last.message : String(last)}`);
}
