/**
 * Routes the orchestrator answers by asking the agent of a unit's host: logs (streamed), stats, and a command
 * run in a unit (`paz exec`).
 * Roles otherwise talk only through the store; logs and stats are streamed over HTTP from the agent.
 */
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { openStream, readText } from '../../client/http-stream.js';
import { EXEC_CONTENT_TYPE, EXEC_DEFAULT_TIMEOUT_SECONDS, EXEC_MAX_ARGS, EXEC_MAX_ARG_CHARS, EXEC_MAX_TIMEOUT_SECONDS, commandText, execCommandProblem, execRuns, execTarget } from '../../core/exec-command.js';
import { Type } from '@sinclair/typebox';
import { PazError } from '../../core/errors.js';
import type { UnitView } from '../../core/unit-view.js';
import type { ApiContext } from '../context.js';
import { LOG_SINCE_MAX, LOG_TAIL_MAX } from '../../agent/log-query.js';
import { errorResponses } from '../schemas.js';
import { streamText } from '../../http/http-app.js';
import { registerLongLived, type EndReason } from '../../http/long-lived.js';
import { clusterAuthHeader } from '../../core/cluster-token.js';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { MAX_FOLLOWED } from '../../core/service-logs-plan.js';
import { followServiceLogs, readServiceLogs, unitLogSearch, type ServiceLogOutput, type ServiceLogSource } from '../../client/service-log-follower.js';

/** the query of a unit's logs, as the agent reads it (agent/log-query.ts) */
const LogQuery = Type.Object({
  follow: Type.Optional(Type.Boolean({ description: 'keep streaming new lines until the client disconnects' })),
  tail: Type.Optional(Type.Integer({ minimum: 0, maximum: LOG_TAIL_MAX, description: 'last N lines only' })),
  since: Type.Optional(Type.Integer({ minimum: 0, maximum: LOG_SINCE_MAX, description: 'unix seconds (up to the year 9999)' })),
  timestamps: Type.Optional(Type.Boolean()),
});

async function fromAgent(ctx: ApiContext, agentUrl: string, path: string, what: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(`${agentUrl}${path}`, { headers: clusterAuthHeader(ctx.clusterToken), signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new PazError('AGENT_UNREACHABLE', `the agent at ${agentUrl} did not answer for ${what}: ${(err as Error).message}`);
  }
  if (res.status === 404) throw new PazError('UNIT_NOT_FOUND', `${what}: the host's agent does not run it (yet)`);
  if (res.status === 401) throw new PazError('AGENT_UNREACHABLE', `the agent at ${agentUrl} refused this server's cluster token for ${what}: give servers and agents the same --cluster-token`);
  if (!res.ok) throw new PazError('AGENT_UNREACHABLE', `the agent at ${agentUrl} answered ${res.status} for ${what}`);
  return res;
}

async function hostOf(ctx: ApiContext, unit: UnitView) {
  if (!unit.host) throw new PazError('UNIT_NOT_PLACED', `unit ${unit.name} is not placed on a host yet: ${unit.reason ?? 'waiting for placement'}`);
  return ctx.cluster.host(unit.host);
}

/**
 * A unit's log stream from its host's agent (the agent's query: follow, tail, since, timestamps). node:http, not
 * fetch: a followed log may stay quiet for hours, and fetch ends quiet bodies after 300 s.
 */
async function openAgentLogs(ctx: ApiContext, unit: UnitView, q: URLSearchParams): Promise<IncomingMessage> {
  const host = await hostOf(ctx, unit);
  let body: IncomingMessage;
  try {
    body = await openStream(`${host.agentUrl}/units/${encodeURIComponent(unit.name)}/logs?${q}`, { headers: clusterAuthHeader(ctx.clusterToken) });
  } catch (err) {
    throw new PazError('AGENT_UNREACHABLE', `the agent of host ${host.ID} (${host.agentUrl}) did not answer: ${(err as Error).message}`);
  }
  if (body.statusCode !== 200) {
    body.resume();
    if (body.statusCode === 401) throw new PazError('AGENT_UNREACHABLE', `the agent of host ${host.ID} refused this server's cluster token for ${unit.name}'s logs: give servers and agents the same --cluster-token`);
    throw new PazError('AGENT_UNREACHABLE', `the agent of host ${host.ID} answered ${body.statusCode} for ${unit.name}'s logs`);
  }
  return body;
}

export function registerAgentRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Params: { name: string; unit: string }; Querystring: { follow?: boolean; tail?: number; since?: number; timestamps?: boolean } }>(
    '/services/:name/units/:unit/logs',
    {
      schema: {
        tags: ['services'],
        summary: "A unit's stdout and stderr (text); follow=true keeps streaming",
        description: 'Like `fleetctl journal -f <unit>`. `<service>-<instance>` names that instance of the newest version.',
        params: Type.Object({ name: Type.String(), unit: Type.String() }),
        querystring: LogQuery,
        response: { ...errorResponses },
      },
    },
    async (req, reply) => {
      const unit = await ctx.cluster.serviceUnit(req.params.name, req.params.unit);
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(req.query)) if (v !== undefined) q.set(k, String(v));
      const body = await openAgentLogs(ctx, unit, q);
      return streamText(reply, body, { 'x-paz-unit': unit.name });
    },
  );

  app.get<{ Params: { name: string }; Querystring: { follow?: boolean; tail?: number; since?: number; timestamps?: boolean } }>(
    '/services/:name/logs',
    {
      schema: {
        tags: ['services'],
        summary: "Every unit's stdout and stderr, each line behind its unit's name (text); follow=true follows the service",
        description:
          'Lines read `<unit> | <line>`, unit names padded to one width; what happens besides reads `--- <what> ---`. Without follow, each ' +
          "started unit's output in turn, oldest version first. With follow it follows the service, not a set of containers: a deploy's " +
          "new instances join as they start, a restarted unit goes on from its new start, retired units are said to be gone, and the " +
          `stream ends when the service is deleted. At most ${MAX_FOLLOWED} units are followed at once, the newest version's first. ` +
          "`tail` and `since` apply to the units there at the start. One connection for a whole service, as a browser's dashboard needs.",
        params: Type.Object({ name: Type.String() }),
        querystring: LogQuery,
        response: { ...errorResponses },
      },
    },
    async (req, reply) => {
      const service = req.params.name;
      await ctx.directory.get(service);
      const units = await ctx.cluster.units(service);
      const width = Math.max(0, ...units.map((u) => u.name.length));
      const abort = new AbortController();
      const source: ServiceLogSource = {
        units: async () => {
          await ctx.directory.get(service);
          return ctx.cluster.units(service);
        },
        isDeleted: (err) => err instanceof PazError && err.code === 'SERVICE_NOT_FOUND',
        open: async (name, q) => {
          const query = unitLogSearch(q);
          if (req.query.timestamps) query.set('timestamps', 'true');
          return openAgentLogs(ctx, await ctx.cluster.serviceUnit(service, name), query);
        },
        // an agent refusing the cluster token is the operator's to fix; said once per unit and tried again
        isRefusal: () => false,
        isPassingTrouble: () => true,
        noUnits: async () => `${service} has no units: it was never deployed, or runs 0 instances`,
      };
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { ...(reply.getHeaders() as Record<string, string>), 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
      res.flushHeaders();
      res.once('close', () => abort.abort());
      let endedFor: EndReason | undefined;
      registerLongLived(reply, (why) => {
        endedFor = why;
        abort.abort();
      });
      /** a slow reader holds the units' streams back rather than filling this process's memory */
      const write = (text: string) => (res.writableEnded || res.destroyed || res.write(text) ? undefined : once(res, 'drain', { signal: abort.signal }).then(() => undefined, () => undefined));
      const out: ServiceLogOutput = {
        line: (unit, text) => write(`${unit.padEnd(width)} | ${text}\n`),
        notice: (_kind, text) => void write(`--- ${text} ---\n`),
      };
      const options = { service, units, tail: req.query.tail === undefined ? undefined : String(req.query.tail), since: req.query.since, signal: abort.signal, sourceName: 'the store' };
      try {
        if (req.query.follow) await followServiceLogs(source, out, options);
        else await readServiceLogs(source, out, options);
      } catch (err) {
        out.notice('end', `the logs ended: ${(err as Error).message}`);
      }
      if (endedFor === 'closing') out.notice('end', 'the control plane is stopping');
      if (endedFor === 'revoked') out.notice('end', 'the token this stream was opened with was revoked');
      res.end();
    },
  );

  app.post<{ Params: { name: string }; Body: { command: string[]; unit?: string; timeoutSeconds?: number } }>(
    '/services/:name/exec',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['services'],
        summary: 'Runs a command in a running instance: its output, then its exit code (newline-delimited JSON)',
        description:
          "Like `kubectl exec`, `nomad alloc exec` or `kamal app exec --reuse`, without a terminal: the command runs in the unit's container " +
          "(process driver: beside its process, with its environment, working directory and user), its stdin closed. `unit` picks the " +
          'instance (`<service>-<instance>` names one of the newest version); without it, a running one, healthy first, of the newest version. ' +
          'The answer streams `application/x-ndjson` frames: `{"type":"output","stream":"stdout"|"stderr","line":"…"}` for each line as it comes, ' +
          'then `{"type":"exit","exitCode":N}` (`timedOut: true` when `timeoutSeconds` ran out and it was killed; `unitStopped: true` when the instance stopped, crashed or was replaced meanwhile: the command ends with it) or `{"type":"error","message":"…"}`. ' +
          `Closing the connection kills the command. Admin tokens only; each run is journaled (event \`exec\`, with the command and who ran it).`,
        params: Type.Object({ name: Type.String() }),
        body: Type.Object(
          {
            command: Type.Array(Type.String({ maxLength: EXEC_MAX_ARG_CHARS }), { minItems: 1, maxItems: EXEC_MAX_ARGS, description: 'the program and its arguments, e.g. ["rake", "db:migrate"]; no shell unless you run one: ["sh", "-c", "…"]' }),
            unit: Type.Optional(Type.String({ description: 'the instance to run it in (GET /services/{name}/units lists them)' })),
            timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: EXEC_MAX_TIMEOUT_SECONDS, description: `killed after this long (default ${EXEC_DEFAULT_TIMEOUT_SECONDS}: a day; closing the connection kills it at once)` })),
          },
          { additionalProperties: false },
        ),
        response: { ...errorResponses },
      },
    },
    async (req, reply) => {
      const { name } = req.params;
      const { command, timeoutSeconds } = req.body;
      const problem = execCommandProblem(command);
      if (problem) throw new PazError('VALIDATION', `body: ${problem}`);
      await ctx.directory.get(name);
      let unit: UnitView;
      if (req.body.unit !== undefined) {
        unit = await ctx.cluster.serviceUnit(name, req.body.unit);
        if (!execRuns(unit)) throw new PazError('CONFLICT', `unit ${unit.name} is ${unit.state}: a command runs only in an instance whose process runs (paz units ${name} lists them)`, { unit: unit.name, state: unit.state });
      } else {
        const target = execTarget(name, await ctx.cluster.units(name));
        if (typeof target === 'string') throw new PazError('CONFLICT', target);
        unit = target;
      }
      const host = await hostOf(ctx, unit);
      const actor = req.actor ?? 'anonymous';
      // journaled before it runs: a command that never ends (or ends the server) is still on record
      const now = Date.now();
      await ctx.deploys.appendJournal({ event: 'exec', serviceName: name, version: unit.version, timestamp: now, actor, message: `exec in ${unit.name} on host ${host.ID} by ${actor}: \`${commandText(command)}\`` }, `exec-${unit.name}-${randomUUID()}`);
      let body: IncomingMessage;
      try {
        body = await openStream(`${host.agentUrl}/units/${encodeURIComponent(unit.name)}/exec`, { headers: clusterAuthHeader(ctx.clusterToken), json: { command, ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}) } });
      } catch (err) {
        throw new PazError('AGENT_UNREACHABLE', `the agent of host ${host.ID} (${host.agentUrl}) did not answer: ${(err as Error).message}`);
      }
      if (body.statusCode !== 200) {
        const text = await readText(body).catch(() => '');
        let message = text;
        try {
          message = (JSON.parse(text) as { message?: string }).message ?? text;
        } catch {
          // not JSON: said as it came
        }
        if (body.statusCode === 404) throw new PazError('UNIT_NOT_FOUND', `${unit.name} on host ${host.ID}: ${message}`, { unit: unit.name });
        if (body.statusCode === 401) throw new PazError('AGENT_UNREACHABLE', `the agent of host ${host.ID} refused this server's cluster token: give servers and agents the same --cluster-token`);
        throw new PazError('AGENT_UNREACHABLE', `the agent of host ${host.ID} answered ${body.statusCode}: ${message}`);
      }
      return streamText(reply, body, { 'content-type': EXEC_CONTENT_TYPE, 'x-paz-unit': unit.name });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/cluster/hosts/:id/stats',
    { schema: { tags: ['cluster'], summary: "Host CPU, memory, network and load, with a short history", params: Type.Object({ id: Type.String() }), response: { ...errorResponses } } },
    async (req) => {
      const host = await ctx.cluster.host(req.params.id);
      return (await fromAgent(ctx, host.agentUrl, '/stats', `host ${host.ID}'s stats`)).json();
    },
  );

  app.get<{ Params: { name: string } }>(
    '/services/:name/stats',
    {
      schema: {
        tags: ['services'],
        summary: "CPU, memory and network of each of the service's running units, with history, and totals",
        params: Type.Object({ name: Type.String() }),
        response: { ...errorResponses },
      },
    },
    async (req) => {
      await ctx.directory.get(req.params.name);
      const units = (await ctx.cluster.units(req.params.name)).filter((u) => u.host);
      const out: Record<string, unknown> = {};
      const totals = { cpu: 0, memoryBytes: 0, networkRxBytes: 0, networkTxBytes: 0 };
      await Promise.all(
        units.map(async (u) => {
          try {
            const host = await ctx.cluster.host(u.host!);
            const s = (await (await fromAgent(ctx, host.agentUrl, `/units/${encodeURIComponent(u.name)}/stats`, `${u.name}'s stats`)).json()) as {
              latest: { cpu: number; memoryBytes: number; networkRxBytes: number; networkTxBytes: number } | null;
            };
            out[u.name] = s;
            if (s.latest) {
              totals.cpu += s.latest.cpu;
              totals.memoryBytes += s.latest.memoryBytes;
              totals.networkRxBytes += s.latest.networkRxBytes;
              totals.networkTxBytes += s.latest.networkTxBytes;
            }
          } catch (err) {
            out[u.name] = { error: (err as Error).message };
          }
        }),
      );
      return { service: req.params.name, totals, units: out };
    },
  );
}
