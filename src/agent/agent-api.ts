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
  const known = (unit: string) => {
    if (!deps.units().includes(unit)) throw new PazError('UNIT_NOT_FOUND', `unit "${unit}" does not run on host ${deps.hostId}`, { unit });
  };

  app.get<{ Params: { unit: string }; Querystring: { follow?: boolean; tail?: number; since?: number; timestamps?: boolean } }>(
    '/units/:unit/logs',
    { schema: { params: Type.Object({ unit: Type.String() }), querystring: LogQuery } },
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

  app.get<{ Params: { unit: string } }>('/units/:unit/stats', { schema: { params: Type.Object({ unit: Type.String() }) } }, async (req) => {
    known(req.params.unit);
    return { unit: req.params.unit, latest: deps.unitStats.latest(req.params.unit) ?? null, history: deps.unitStats.history(req.params.unit) };
  });

  app.get('/stats', async () => ({
    host: deps.hostId,
    latest: deps.hostStats.history.latest() ?? null,
    history: deps.hostStats.history.toArray(),
    units: Object.fromEntries(deps.units().map((u) => [u, deps.unitStats.latest(u) ?? null])),
  }));

  scrapeGauge('paz_agent_units', 'units this host runs', [], async (set) => set({}, deps.units().length));

  app.get('/router/stats', async () => {
    if (!deps.routerStats) throw new PazError('ROUTE_NOT_FOUND', `host ${deps.hostId} runs no router`);
    return deps.routerStats();
  });

  return app;
}
