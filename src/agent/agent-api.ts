/**
 * The agent's own HTTP API (default port 9010): a unit's logs (streamed) and stats, a command run in a unit
 * (`paz exec`: POST, its output streamed), the host's stats and its router's, /metrics and /health. The
 * orchestrator calls it for `/services/:name/units/:unit/logs`, `/services/:name/exec` and the stats routes.
 *
 * Plain node:http, not Fastify: six GET routes with a four-field query and one small POST need no framework, and Fastify with
 * ajv, TypeBox and prom-client made up about 40 MiB of an idle agent's 95 MiB (bench memory). It answers as
 * the Fastify servers do (http-app.ts): `x-api-uuid`/`x-api-version` headers, `application/json`, errors
 * from the catalogue (core/errors.ts), the same request timeouts. prom-client is loaded on the first
 * /metrics scrape (metrics-sink.ts keeps the request counts that come before); its process metrics and the
 * event-loop lag histogram start then, so an agent nobody scrapes never pays for them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform } from 'node:stream';
import type { Logger } from 'pino';
import { PazError, errorBody } from '../core/errors.js';
import { bearerToken, isClusterToken } from '../core/cluster-token.js';
import { redactUrl } from '../core/webhook-proof.js';
import { PAZ_VERSION } from '../version.js';
import { httpTimeouts, requestId } from '../http/http-timeouts.js';
import { onClientError } from '../http/client-error.js';
import { closeInStagesAfterAnswer, isClosingInStages } from '../http/lingering-close.js';
import { deferredGauge, loadMetrics, recordRequest } from '../http/metrics-sink.js';
import { parseLogQuery } from './log-query.js';
import { DriverError, type Driver } from './drivers/driver.js';
import { writeOrWait } from '../core/write-or-wait.js';
import { EXEC_CONTENT_TYPE, EXEC_DEFAULT_TIMEOUT_SECONDS, execCommandProblem, execTimeoutProblem, instanceStoppedMeanwhile, type ExecFrame } from '../core/exec-command.js';
import type { HostStatsSampler } from './host/host-stats.js';
import type { UnitStatsSampler } from './unit-stats.js';

const COMPONENT = 'paz-agent';

export interface AgentApiDeps {
  hostId: string;
  driver: Driver;
  hostStats: HostStatsSampler;
  unitStats: UnitStatsSampler;
  /** units this agent runs */
  units: () => string[];
  /** every route but /health asks for `Authorization: Bearer <cluster token>` */
  clusterToken: string;
  /** the host's router statistics, when it runs a router */
  routerStats?: () => Promise<unknown>;
  logger?: Logger;
}

/**
 * Every route of the agent API: GET, and HEAD as its headers-only twin, but exec (POST: it runs a command).
 * `/health` alone needs no token.
 */
export const AGENT_ROUTES = ['/health', '/metrics', '/units/:unit/logs', '/units/:unit/stats', '/units/:unit/exec', '/stats', '/router/stats'] as const;
export type AgentRoute = (typeof AGENT_ROUTES)[number];

/** The methods a route answers. Pure. */
export function agentRouteMethods(route: AgentRoute): readonly string[] {
  return route === '/units/:unit/exec' ? ['POST'] : ['GET', 'HEAD'];
}

/** an exec request's body at most (bytes): a command of long arguments, never a stream */
const EXEC_BODY_MAX_BYTES = 1 << 20;

/** The route a path names and its `:unit`, or undefined. Pure. */
export function matchAgentRoute(path: string): { route: AgentRoute; unit?: string } | undefined {
  if ((AGENT_ROUTES as readonly string[]).includes(path) && !path.includes(':')) return { route: path as AgentRoute };
  const m = /^\/units\/([^/]+)\/(logs|stats|exec)$/.exec(path);
  if (!m) return undefined;
  let unit: string;
  try {
    unit = decodeURIComponent(m[1]);
  } catch {
    throw new PazError('VALIDATION', `params field "unit" is not valid URL encoding: "${m[1]}"`);
  }
  return { route: `/units/:unit/${m[2] as 'logs' | 'stats' | 'exec'}`, unit };
}

export interface AgentApi {
  readonly server: Server;
  listen(opts: { host: string; port: number }): Promise<number>;
  /** stops taking connections, closes idle ones and waits for the open requests (a followed log until it ends) */
  close(): Promise<void>;
}

type Answer = { json: unknown } | { stream: NodeJS.ReadableStream & { destroy(): void } };

export function createAgentApi(deps: AgentApiDeps): AgentApi {
  const log = deps.logger;
  let closing = false;
  const known = (unit: string) => {
    if (!deps.units().includes(unit)) throw new PazError('UNIT_NOT_FOUND', `unit "${unit}" does not run on host ${deps.hostId}`, { unit });
  };
  deferredGauge('paz_agent_units', 'units this host runs', [], async (set) => set({}, deps.units().length));

  async function answer(route: AgentRoute, unit: string | undefined, query: URLSearchParams, head: boolean, res: ServerResponse): Promise<Answer | undefined> {
    switch (route) {
      case '/health':
        return { json: { healthy: true, component: COMPONENT, version: PAZ_VERSION } };
      case '/metrics': {
        const { registry } = await loadMetrics();
        res.setHeader('content-type', registry.contentType);
        res.end(head ? undefined : await registry.metrics());
        return undefined;
      }
      case '/units/:unit/logs': {
        known(unit!);
        const opts = parseLogQuery(queryObject(query));
        if (head) {
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
          res.end();
          return undefined;
        }
        // the unit may be gone between the check above and the driver's answer (a container removed): a 404
        const lines = await deps.driver.logs(unit!, opts).catch((err: unknown) => {
          if (err instanceof DriverError && err.code === 'NOT_FOUND') throw new PazError('UNIT_NOT_FOUND', `unit "${unit}" is gone from host ${deps.hostId}: ${err.message}`, { unit });
          throw err;
        });
        // drivers give one string per line, without its line end
        const text = new Transform({ writableObjectMode: true, transform: (line, _enc, done) => done(null, `${String(line)}\n`) });
        lines.on('error', (err) => text.destroy(err));
        text.once('close', () => lines.destroy());
        lines.pipe(text);
        return { stream: text };
      }
      case '/units/:unit/stats':
        known(unit!);
        return { json: { unit, latest: deps.unitStats.latest(unit!) ?? null, history: deps.unitStats.history(unit!) } };
      case '/stats':
        return {
          json: {
            host: deps.hostId,
            latest: deps.hostStats.history.latest() ?? null,
            history: deps.hostStats.history.toArray(),
            units: Object.fromEntries(deps.units().map((u) => [u, deps.unitStats.latest(u) ?? null])),
          },
        };
      case '/router/stats':
        if (!deps.routerStats) throw new PazError('ROUTE_NOT_FOUND', `host ${deps.hostId} runs no router`);
        return { json: await deps.routerStats() };
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, path: string, search: string, matched: ReturnType<typeof matchAgentRoute> | PazError): Promise<void> {
    const method = req.method ?? 'GET';
    const route = !(matched instanceof PazError) && matched && agentRouteMethods(matched.route).includes(method) ? matched.route : undefined;
    // every request but /health carries the cluster token, /metrics and unknown paths included, so a
    // stranger learns nothing, not even which routes exist
    if (route !== '/health' && !isClusterToken(deps.clusterToken, bearerToken(req.headers.authorization))) {
      throw new PazError('UNAUTHENTICATED', 'the agent API needs the cluster token: send Authorization: Bearer <token>, the value of DATA_DIR/cluster-token on a Paz server');
    }
    if (matched instanceof PazError) throw matched;
    if (!route) throw new PazError('ROUTE_NOT_FOUND', `no route ${method} ${path} on ${COMPONENT}: see /docs on the orchestrator for the API`);
    if (route === '/units/:unit/exec') return execInUnit(req, res, matched!.unit!);
    const result = await answer(route, matched!.unit, new URLSearchParams(search), method === 'HEAD', res);
    if (result && 'stream' in result) streamText(res, result.stream);
    else if (result) sendJson(res, 200, result.json);
  }

  /**
   * POST /units/:unit/exec: `{command, timeoutSeconds?}` runs the command in the unit (driver.exec); the answer
   * streams its output as newline-delimited JSON frames (core/exec-command.ts), the last one its exit or why it
   * could not run. The client going away, or the timeout, kills the command.
   */
  async function execInUnit(req: IncomingMessage, res: ServerResponse, unit: string): Promise<void> {
    known(unit);
    const body = await readJsonBody(req, res, EXEC_BODY_MAX_BYTES);
    const { command, timeoutSeconds } = (body ?? {}) as { command?: unknown; timeoutSeconds?: unknown };
    const problem = execCommandProblem(command) ?? execTimeoutProblem(timeoutSeconds);
    if (problem) throw new PazError('VALIDATION', `body: ${problem}`);
    if (!deps.driver.exec) throw new PazError('ROUTE_NOT_FOUND', `the ${deps.driver.name} driver of host ${deps.hostId} cannot run commands in units`);
    const timeoutMs = ((timeoutSeconds as number | undefined) ?? EXEC_DEFAULT_TIMEOUT_SECONDS) * 1000;
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), timeoutMs);
    const gone = () => stop.abort();
    res.once('close', gone);
    // a client that reads slower than the command writes holds the command's output back (the driver waits for
    // the promise), rather than this process buffering all of it (a database dump through exec)
    const send = (frame: ExecFrame) => writeOrWait(res, `${JSON.stringify(frame)}\n`);
    // the answer starts now, not with the first output: a command quiet for minutes (a migration) must not look
    // like an agent that does not answer. What goes wrong from here on is said in an error frame.
    res.writeHead(200, { 'content-type': EXEC_CONTENT_TYPE, 'cache-control': 'no-cache' });
    res.flushHeaders();
    try {
      // what ran before, to tell afterwards whether the instance stopped (or was started again) meanwhile
      const before = await deps.driver.inspect(unit).catch(() => undefined);
      const exitCode = await deps.driver.exec(unit, command as string[], (line) => send({ type: 'output', stream: line.stream, line: line.text }), stop.signal);
      if (stop.signal.aborted) {
        if (!res.destroyed) void send({ type: 'exit', exitCode, timedOut: true });
      } else {
        void send((await stoppedMeanwhile(unit, before, exitCode)) ? { type: 'exit', exitCode, unitStopped: true } : { type: 'exit', exitCode });
      }
    } catch (err) {
      if (!(err instanceof DriverError)) log?.warn({ err, unit }, 'exec failed');
      void send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    } finally {
      clearTimeout(timer);
      res.off('close', gone);
      res.end();
    }
  }

  /**
   * Whether the instance a command ran in stopped (or ran again) while it ran. A container's end kills its
   * processes (SIGKILL: 137), and the command's output can end before dockerd has taken the container's death
   * in: a 137 is looked at again for a moment.
   */
  async function stoppedMeanwhile(unit: string, before: Awaited<ReturnType<Driver['inspect']>>, exitCode: number): Promise<boolean> {
    if (before === undefined) return false;
    for (let look = 0; ; look++) {
      if (instanceStoppedMeanwhile(before, await deps.driver.inspect(unit).catch(() => undefined))) return true;
      if (exitCode !== 137 || look >= 10) return false;
      await sleep(100);
    }
  }

  const server = createServer({ ...httpTimeouts() }, (req, res) => {
    // a request pipelined behind one whose answer closed the connection is not served (lingering-close.ts)
    if (isClosingInStages(req.socket)) return;
    const started = process.hrtime.bigint();
    const id = requestId();
    res.setHeader('x-api-uuid', id);
    res.setHeader('x-api-version', PAZ_VERSION);
    const [path, search] = splitUrl(req.url ?? '/');
    const matched = matchAgentRouteOrError(path);
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = matched && !(matched instanceof PazError) ? matched.route : 'unmatched';
      if (route !== '/metrics') recordRequest(COMPONENT, req.method ?? 'GET', route, String(res.statusCode), seconds);
      log?.info({ reqId: id, req: { method: req.method, url: redactUrl(req.url ?? '/'), remoteAddress: req.socket.remoteAddress }, res: { statusCode: res.statusCode }, responseTime: seconds * 1000 }, 'request completed');
    });
    if (closing) {
      res.setHeader('connection', 'close');
      sendJson(res, 503, errorBody(new PazError('INTERNAL', `${COMPONENT} is stopping: try again later`)));
      return;
    }
    handle(req, res, path, search, matched).catch((err: unknown) => {
      const pazError = err instanceof PazError ? err : new PazError('INTERNAL', "internal error; the server log has the details (search for this answer's x-api-uuid)");
      if (!(err instanceof PazError)) log?.error({ err, uuid: id }, 'unexpected error');
      if (res.headersSent) res.destroy();
      else sendJson(res, pazError.statusCode, errorBody(pazError));
    });
  });
  // what Node's HTTP parser refuses gets the same answer as on the API servers
  server.on('clientError', onClientError);

  return {
    server,
    listen: ({ host, port }) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        closing = true;
        server.close(() => resolve());
        server.closeIdleConnections();
        // a followed log never ends on its own: its readers get a moment to see the last lines, then the
        // connection is cut, so one open `paz logs -f` does not hold up the agent's stop
        setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
      }),
  };
}

/** how long the agent's stop waits for open requests (followed logs) before cutting them */
const CLOSE_GRACE_MS = 2_000;

/**
 * A request's JSON body (undefined when empty), read up to `maxBytes`. A larger body is refused with the
 * connection closed in stages, not by destroying the request (which resets the connection: no 413 would arrive).
 */
async function readJsonBody(req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<unknown> {
  const tooLarge = () => {
    res.setHeader('connection', 'close');
    closeInStagesAfterAnswer(req);
    // what still arrives is read and dropped until the staged close ends the connection
    req.resume();
    return new PazError('BODY_TOO_LARGE', `the request body is larger than ${maxBytes} bytes`);
  };
  if (Number(req.headers['content-length']) > maxBytes) throw tooLarge();
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      else {
        stop();
        reject(tooLarge());
      }
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (err: Error) => {
      stop();
      reject(err);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new PazError('VALIDATION', `the request body is not JSON: ${(err as Error).message}`);
  }
}

function matchAgentRouteOrError(path: string): ReturnType<typeof matchAgentRoute> | PazError {
  try {
    return matchAgentRoute(path);
  } catch (err) {
    if (err instanceof PazError) return err;
    throw err;
  }
}

/** a request's path and its query string (without the `?`) */
function splitUrl(url: string): [string, string] {
  const q = url.indexOf('?');
  return q === -1 ? [url, ''] : [url.slice(0, q), url.slice(q + 1)];
}

function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    out[key] = all.length === 1 ? all[0] : all;
  }
  return out;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  // Paz's clients compare the content type to the exact string `application/json`
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Streams text with the headers sent at once: Node sends headers only with the first body byte, and a
 * followed log may stay silent for a long time, so the caller would see nothing (or time out).
 */
function streamText(res: ServerResponse, body: NodeJS.ReadableStream & { destroy(): void }): void {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
  res.flushHeaders();
  res.once('close', () => body.destroy());
  body.on('error', () => res.destroy());
  body.pipe(res);
}
