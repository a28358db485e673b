/**
 * The orchestrator API (port 9000): Paz's central command. Services and their configs (next, last,
 * history), deploys, the cluster's hosts and units, and the API reference at /docs.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { createApp, type AppOptions } from '../../http/http-app.js';
import { apiAuth, type ApiContext } from '../context.js';
import { registerServiceRoutes } from '../service-routes.js';
import { registerOpenApi } from '../openapi.js';
import { registerPeerDocs, DOCS_URLS, type PeerDocsOptions } from './peer-docs.js';
import { registerClusterRoutes } from './cluster-routes.js';
import { registerHealthRoutes } from './health-routes.js';
import { registerAgentRoutes } from './agent-routes.js';
import { registerRolloutRoutes } from './rollout-routes.js';
import { registerUnitRestartRoutes } from './unit-restart-routes.js';
import { registerEventRoutes } from './event-routes.js';
import { registerWebhookRoutes } from './webhook-routes.js';
import { registerRegistryRoutes } from './registry-routes.js';
import { registerTokenRoutes } from './token-routes.js';
import { registerBackupRoutes } from './backup-routes.js';
import { registerUiRoutes } from './ui-routes.js';
import { scrapeGauge } from '../../http/metrics.js';
import { NameParams, errorResponses } from '../schemas.js';
import { ConfigHistoryAnswer, DeployRecordAnswer, VersionAnswer, DocOf, ServiceConfigAnswer } from '../answer-schemas.js';
import { readAt, readScopes, withRevision } from '../read-at.js';
import { parseVersion } from '../scheduler/routes.js';

export interface OrchestratorOptions extends Partial<AppOptions> {
  port: number;
  /** the directory's and scheduler's ports, for their documents at /docs */
  peerPorts?: PeerDocsOptions['ports'];
}

export async function createOrchestratorApp(ctx: ApiContext, opts: OrchestratorOptions): Promise<FastifyInstance> {
  const app = createApp({ component: 'paz-orchestrator', ...opts, auth: apiAuth(ctx) });
  await registerOpenApi(
    app,
    {
      title: 'Paz orchestrator API',
      description:
        'Central command of the Paz platform: services, config versions, deploys, cluster hosts and units. ' +
        'The service directory (port 9001) and the scheduler (port 9002, deploy hooks) serve their own documents at /openapi.json; ' +
        '/docs offers all three (also at /docs/directory.json and /docs/scheduler.json here).',
      port: opts.port,
      https: opts.tls !== undefined,
    },
    { urls: DOCS_URLS },
  );
  registerPeerDocs(app, ctx, { ports: opts.peerPorts, tls: opts.tls });
  registerServiceRoutes(app, ctx, { configPath: 'config/next', tag: 'services' });
  const tags = ['services'];

  app.get<{ Params: { name: string } }>(
    '/services/:name/config/last',
    {
      schema: {
        tags,
        summary: 'Config of the version that serves',
        description: 'The last version whose deploy succeeded; while nothing has served yet (first deploy running or failed), the latest. After a failed deploy this stays the version that serves, not the failed one. 404 until the first deploy.',
        params: NameParams,
        response: { 200: withRevision(DocOf(ServiceConfigAnswer)), ...errorResponses },
      },
    },
    async (req, reply) => ({ doc: (await (await readAt(ctx, reply, readScopes.deploysOf(req.params.name))).deploys.current(req.params.name)).config }),
  );

  app.get<{ Params: { name: string } }>(
    '/services/:name/config/history',
    { schema: { tags, summary: 'Config of every deployed version, keyed by version', params: NameParams, response: { 200: withRevision(DocOf(ConfigHistoryAnswer)) } } },
    async (req, reply) => ({ doc: await (await readAt(ctx, reply, readScopes.deploysOf(req.params.name))).deploys.history(req.params.name) }),
  );

  app.get<{ Params: { name: string; version: string } }>(
    '/services/:name/config/history/:version',
    {
      schema: { tags, summary: 'Config of one deployed version', params: Type.Object({ name: Type.String(), version: Type.String() }), response: { 200: withRevision(DocOf(ServiceConfigAnswer)), ...errorResponses } },
    },
    async (req, reply) => {
      const version = parseVersion(req.params.version);
      return { doc: (await (await readAt(ctx, reply, readScopes.deploysOf(req.params.name))).deploys.version(req.params.name, version)).config };
    },
  );

  app.get<{ Params: { name: string } }>(
    '/services/:name/versions',
    {
      schema: {
        tags,
        summary: 'Every deployed version with its image, trigger and full snapshot, oldest first',
        description: 'Each record carries `outcome`: its deploy\'s `{state, reason, startedAt, finishedAt}` (deploying, succeeded or failed), absent for versions deployed before outcomes were recorded.',
        params: NameParams,
        response: { 200: withRevision(DocOf(Type.Array(VersionAnswer))), ...errorResponses },
      },
    },
    async (req, reply) => ({ doc: await (await readAt(ctx, reply, readScopes.deploysOf(req.params.name))).deploys.recordsWithOutcome(req.params.name) }),
  );

  app.post<{ Params: { name: string }; Body: { tag?: string } | undefined }>(
    '/services/:name/deploy',
    {
      schema: {
        tags,
        summary: 'Deploy the service\'s next config as a new version',
        description: 'Same as the scheduler\'s `/hooks/deploy`; `tag` deploys the service\'s repository at that tag.',
        params: NameParams,
        body: Type.Optional(Type.Object({ tag: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) }, { additionalProperties: false })),
        response: { 201: DocOf(DeployRecordAnswer, 'the deploy record of the new version'), ...errorResponses },
      },
    },
    async (req, reply) => {
      const rec = await ctx.deploys.deploy(req.params.name, { tag: req.body?.tag, trigger: { source: 'api', tag: req.body?.tag, actor: req.actor } });
      return reply.status(201).send({ doc: rec });
    },
  );

  registerClusterRoutes(app, ctx);
  registerHealthRoutes(app, ctx);
  registerAgentRoutes(app, ctx);
  registerRolloutRoutes(app, ctx);
  registerUnitRestartRoutes(app, ctx);
  registerEventRoutes(app, ctx);
  registerWebhookRoutes(app, ctx);
  registerRegistryRoutes(app, ctx);
  registerTokenRoutes(app, ctx);
  registerBackupRoutes(app, ctx);
  await registerUiRoutes(app, { auth: apiAuth(ctx) });

  scrapeGauge('paz_hosts', 'hosts whose agent heartbeats', [], async (set) => set({}, (await ctx.cluster.hostRecords()).length));
  scrapeGauge('paz_services', 'services in the directory', [], async (set) => set({}, (await ctx.directory.list()).length));
  scrapeGauge('paz_units', 'units by state (unplaced, pending, pulling, starting, running, healthy, unhealthy, exited, failed, stopping)', ['state'], async (set) => {
    const counts = new Map<string, number>();
    for (const u of await ctx.cluster.units()) counts.set(u.state, (counts.get(u.state) ?? 0) + 1);
    for (const [state, n] of counts) set({ state }, n);
  });
  return app;
}
