/**
 * The agent's own HTTP API (default port 9010): a unit's logs (streamed) and stats, the host's stats.
 * The orchestrator calls it for `/services/:name/units/:unit/logs` and the stats routes.
 */
import type { FastifyInstance } from 'fastify';
import { Transform } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { createApp, streamText } from '../http/http-app.js';
import { scrapeGauge } from '../http/metrics.js';
import { PazError } from '../core/errors.js';
import { bearerToken, isClusterToken } from '../core/cluster-token.js';
import type { Driver } from './drivers/driver.js';
import type { HostStatsSampler } from './host/host-stats.js';
import type { UnitStatsSampler } from './unit-stats.js';

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
  logger?: FastifyInstance['log'];
}

export const LogQuery = Type.Object({
  follow: Type.Optional(Type.Boolean({ description: 'keep streaming new lines until the client disconnects' })),
  tail: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000, description: 'last N lines only' })),
  since: Type.Optional(Type.Integer({ minimum: 0, maximum: 253402300799, description: 'unix seconds (up to the year 9999)' })),
  timestamps: Type.Optional(Type.Boolean()),
});

export function createAgentApi(deps: AgentApiDeps): FastifyInstance {
  const app = createApp({ component: 'paz-agent', logger: deps.logger });
  requireClusterToken(app, deps.clusterToken);
  const cluster = { access: 'cluster' } as const;
  const known = (unit: string) => {
    if (!deps.units().includes(unit)) throw new PazError('UNIT_NOT_FOUND', `unit "${unit}" does not run on host ${deps.hostId}`, { unit });
  };

  app.get<{ Params: { unit: string }; Querystring: { follow?: boolean; tail?: number; since?: number; timestamps?: boolean } }>(
    '/units/:unit/logs',
    { config: cluster, schema: { params: Type.Object({ unit: Type.String() }), querystring: LogQuery } },
    async (req, reply) => {
      known(req.params.unit);
      const lines = await deps.driver.logs(req.params.unit, { follow: req.query.follow, tail: req.query.tail, since: req.query.since, timestamps: req.query.timestamps });
      // drivers give one string per line, without its line end
      const text = new Transform({ writableObjectMode: true, transform: (line, _enc, done) => done(null, `${String(line)}\n`) });
      lines.on('error', (err) => text.destroy(err));
      text.once('close', () => lines.destroy());
      lines.pipe(text);
      return streamText(reply, text);
    },
  );

  app.get<{ Params: { unit: string } }>('/units/:unit/stats', { config: cluster, schema: { params: Type.Object({ unit: Type.String() }) } }, async (req) => {
    known(req.params.unit);
    return { unit: req.params.unit, latest: deps.unitStats.latest(req.params.unit) ?? null, history: deps.unitStats.history(req.params.unit) };
  });

  app.get('/stats', { config: cluster }, async () => ({
    host: deps.hostId,
    latest: deps.hostStats.history.latest() ?? null,
    history: deps.hostStats.history.toArray(),
    units: Object.fromEntries(deps.units().map((u) => [u, deps.unitStats.latest(u) ?? null])),
  }));

  scrapeGauge('paz_agent_units', 'units this host runs', [], async (set) => set({}, deps.units().length));

  app.get('/router/stats', { config: cluster }, async () => {
    if (!deps.routerStats) throw new PazError('ROUTE_NOT_FOUND', `host ${deps.hostId} runs no router`);
    return deps.routerStats();
  });

  return app;
}

/**
 * The agent's own check (the agent API has no API tokens, only the cluster token): every request but
 * /health must carry the cluster token, /metrics and unknown paths included, so a stranger learns
 * nothing, not even which routes exist.
 */
function requireClusterToken(app: FastifyInstance, token: string): void {
  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.url === '/health') return;
    if (!isClusterToken(token, bearerToken(req.headers.authorization))) {
      throw new PazError('UNAUTHENTICATED', 'the agent API needs the cluster token: send Authorization: Bearer <token>, the value of DATA_DIR/cluster-token on a Paz server');
    }
  });
}
