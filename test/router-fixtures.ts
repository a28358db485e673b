/**
 * Shared pieces of the router integration tests: small backends on 127.0.0.1 that answer their own
 * name, an HTTP client with a bounded timeout, a router on a free high port in a temporary runtime
 * directory, and bounded waiting. Everything here listens on or talks to loopback only.
 */
import { createServer, request as httpRequest, type Agent, type Server } from 'node:http';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Router, type RouterOptions } from '../src/router/router.js';
import type { RouteServer } from '../src/router/route-table.js';

export interface Backend {
  name: string;
  port: number;
  /** requests that reached this backend (the router's own health checks not counted) */
  received: number;
  /** requests this backend answered (completed; health checks not counted) */
  served: number;
  /** the router's HTTP health checks it answered */
  checks: number;
  asServer(state?: 'ready' | 'drain', weight?: number): RouteServer;
  /** stops listening and cuts open connections: the instance "dies" */
  close(): Promise<void>;
}

/** An instance that answers `<name>\n`; `/slow?ms=N` answers after N ms. `port`: the one it had before it "died". */
export async function startBackend(name: string, port = 0): Promise<Backend> {
  const backend = { name, port: 0, received: 0, served: 0, checks: 0 } as Backend;
  const server: Server = createServer((req, res) => {
    if (req.headers['user-agent'] === 'paz-router-check') {
      backend.checks++;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    backend.received++;
    const url = new URL(req.url ?? '/', 'http://x');
    const delay = url.pathname === '/slow' ? Number(url.searchParams.get('ms') ?? 1000) : 0;
    setTimeout(() => {
      backend.served++;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`${name}\n`);
    }, delay);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  backend.port = typeof address === 'object' && address ? address.port : 0;
  backend.asServer = (state = 'ready', weight) => ({
    name,
    address: '127.0.0.1',
    port: backend.port,
    state,
    ...(weight !== undefined ? { weight } : {}),
  });
  let closed = false;
  backend.close = async () => {
    if (closed) return;
    closed = true;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return backend;
}

/** A port nobody listens on right now (the kernel's choice, then released). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  /** the first attempt failed on a reused keep-alive connection and the request was sent again */
  retried: boolean;
}

export interface GetOptions {
  agent?: Agent | false;
  timeoutMs?: number;
  /**
   * Retry once, on a new connection, when a reused keep-alive connection was closed by the server
   * before any answer: what HTTP clients do for idempotent requests (RFC 9110 9.2.2), and the pattern
   * Node's documentation gives for `request.reusedSocket`.
   */
  retryReusedSocket?: boolean;
}

function getOnce(port: number, host: string | null, path: string, options: GetOptions): Promise<Omit<Answer, 'retried'>> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (host !== null) headers.host = host;
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: 'GET', headers, agent: options.agent ?? false, setHost: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error(`no answer within ${options.timeoutMs ?? 10_000} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      reject(Object.assign(error, { reusedSocket: req.reusedSocket }));
    });
    req.end();
  });
}

/** One GET through `port` with the given Host header (none when null); fails after `timeoutMs`. */
export async function get(port: number, host: string | null, path = '/', options: GetOptions = {}): Promise<Answer> {
  try {
    return { ...(await getOnce(port, host, path, options)), retried: false };
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { reusedSocket?: boolean };
    const closedBeforeAnswer = e.code === 'ECONNRESET' || e.message === 'socket hang up';
    if (!options.retryReusedSocket || !e.reusedSocket || !closedBeforeAnswer) {
      throw Object.assign(error as Error, { message: `${(error as Error).message} (reused socket: ${Boolean(e.reusedSocket)})` });
    }
    try {
      // on a new connection: the agent's other idle connections may be closing at the same moment
      return { ...(await getOnce(port, host, path, { ...options, agent: false })), retried: true };
    } catch (retryError) {
      throw Object.assign(retryError as Error, { message: `retry after a closed keep-alive connection failed: ${(retryError as Error).message}` });
    }
  }
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

/** Counts answers by body, e.g. { 'a\n': 10, 'b\n': 10 }. */
export function tally(bodies: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const body of bodies) counts[body.trim()] = (counts[body.trim()] ?? 0) + 1;
  return counts;
}

export interface TestRouter {
  router: Router;
  port: number;
  runtimeDir: string;
  /** stops the router and removes its runtime directory */
  cleanup(): Promise<void>;
}

export async function startTestRouter(
  initial?: Parameters<Router['start']>[0],
  options: Partial<Omit<RouterOptions, 'runtimeDir'>> = {},
): Promise<TestRouter> {
  // short path: unix socket paths are limited to about 100 characters
  const runtimeDir = await mkdtemp(join(tmpdir(), 'paz-rt-'));
  const port = await freePort();
  const router = new Router({
    bindAddress: '127.0.0.1',
    port,
    runtimeDir,
    logger: pino({ level: process.env.PAZ_TEST_LOG ?? 'silent' }),
    hardStopAfterMs: 15_000,
    process: { stopTimeoutMs: 5_000 },
    ...options,
  });
  try {
    await router.start(initial);
  } catch (error) {
    await router.stop();
    await rm(runtimeDir, { recursive: true, force: true });
    throw error;
  }
  return {
    router,
    port,
    runtimeDir,
    cleanup: async () => {
      await router.stop();
      await rm(runtimeDir, { recursive: true, force: true });
    },
  };
}

/** PIDs of live HAProxy processes started with a configuration inside `runtimeDir`. */
export async function haproxyPidsFor(runtimeDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const zombie = / Z /.test(stat.slice(stat.lastIndexOf(')')));
      if (!zombie && cmdline[0]?.endsWith('haproxy') && cmdline.some((arg) => arg.startsWith(runtimeDir))) pids.push(Number(entry));
    } catch {
      /* process ended while we looked */
    }
  }
  return pids;
}
