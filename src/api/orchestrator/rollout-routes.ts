/** Deploy outcomes, rollback and scaling on the orchestrator. */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiContext } from '../context.js';
import { NameParams, errorResponses } from '../schemas.js';
import { DeployRecordAnswer, DocOf, RolloutAnswer, ScaleAnswer } from '../answer-schemas.js';
import { readAt, readScopes, withRevision } from '../read-at.js';
import { PazError } from '../../core/errors.js';
import { MAX_INSTANCES } from '../../core/rollout-defaults.js';
import { clusterAuthHeader } from '../../core/cluster-token.js';

export function registerRolloutRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const tags = ['services'];

  app.get<{ Params: { name: string } }>(
    '/services/:name/rollout',
    {
      schema: {
        tags,
        summary: "The latest deploy's progress: deploying, succeeded or failed (with the reason), its strategy, the serving version, and the units",
        description: '`version` is the latest deploy; `serving` the version that serves (the last one that succeeded; 0 while none has). After a failed deploy they differ. `stopping` lists units no longer desired whose instances their agents are still stopping.',
        params: NameParams,
        response: { 200: withRevision(DocOf(RolloutAnswer)), ...errorResponses },
      },
    },
    async (req, reply) => {
      const name = req.params.name;
      const read = await readAt(ctx, reply, [...readScopes.service(name), ...readScopes.deploysOf(name), ...readScopes.cluster()]);
      await read.directory.get(name);
      const version = await read.deploys.latestVersion(name);
      if (version === 0) throw new PazError('NOT_DEPLOYED', `service "${name}" has not been deployed yet`, { name });
      const status = await read.deploys.rolloutStatus(name, version);
      const serving = await read.deploys.servingVersion(name);
      const units = await read.cluster.units(name);
      const stopping = await read.cluster.stoppingUnits(name);
      return { doc: { ...(status ?? { service: name, version, state: 'succeeded' }), serving, units: units.map((u) => ({ name: u.name, version: u.version, state: u.state, healthy: u.healthy, reason: u.reason, ...(u.drainingSince !== undefined ? { draining: true } : {}) })), stopping } };
    },
  );

  app.post<{ Params: { name: string }; Body: { version?: number } | undefined }>(
    '/services/:name/rollback',
    {
      schema: {
        tags,
        summary: 'Roll back: deploy an earlier version\'s snapshot as a new version',
        description: 'Without `version`, goes to the newest version before the serving one whose deploy succeeded (one deployed before outcomes were kept counts; one that failed or was overtaken never does, nor one that runs what the serving one runs (same image, digest and config but the count: the version a restart restarted): with no other, a 404 `PAZ_VERSION_NOT_FOUND` names them, and `version` picks one anyway). The snapshot (image, digest and config) is deployed as version latest+1, through the usual rolling deploy, with the service\'s instance count of now (a scale since holds, as a Deployment\'s replicas do).',
        params: NameParams,
        body: Type.Optional(Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false })),
        response: { 201: DocOf(DeployRecordAnswer, 'the deploy record of the new version'), ...errorResponses },
      },
    },
    async (req, reply) => reply.status(201).send({ doc: await ctx.deploys.rollback(req.params.name, req.body?.version, req.actor) }),
  );

  app.post<{ Params: { name: string } }>(
    '/services/:name/restart',
    {
      schema: {
        tags,
        summary: 'Restart: replace every instance of the serving version with a fresh one, through a rolling deploy',
        description:
          "Deploys the serving version's snapshot again as version latest+1, pinned to the same image digest (a tag that moved since is not pulled), with the service's instance count now; nothing pending in the next config goes with it. The rollout replaces the instances as a deploy does, so traffic keeps flowing. `trigger.restartOf` names the version restarted. 404 `PAZ_NOT_DEPLOYED` when nothing serves; 409 `PAZ_CONFLICT` while a deploy runs (restart once it ends) or when the service runs no instances.",
        params: NameParams,
        body: Type.Optional(Type.Object({}, { additionalProperties: false })),
        response: { 201: DocOf(DeployRecordAnswer, 'the deploy record of the new version'), ...errorResponses },
      },
    },
    async (req, reply) => reply.status(201).send({ doc: await ctx.deploys.restart(req.params.name, req.actor) }),
  );

  app.post<{ Params: { name: string }; Body: { numInstances: number } }>(
    '/services/:name/scale',
    {
      schema: {
        tags,
        summary: 'Change the number of instances now, without a new version',
        description: 'Adds instances of the running version (the latest, or the serving one after the latest failed: never a failed version), or drains and retires the highest-numbered ones. The config keeps the count for later deploys.',
        params: NameParams,
        body: Type.Object({ numInstances: Type.Integer({ minimum: 0, maximum: MAX_INSTANCES }) }, { additionalProperties: false }),
        response: { 200: DocOf(ScaleAnswer), ...errorResponses },
      },
    },
    async (req) => ({ doc: await ctx.deploys.scale(req.params.name, req.body.numInstances, req.actor) }),
  );

  app.get(
    '/cluster/load-balancers',
    {
      schema: {
        tags: ['cluster'],
        summary: "Each host's router: requests, sessions, queued, errors per service and per unit",
        description: 'Read from HAProxy\'s stats on every host (Paz\'s Load Balancers page showed Sessions / Queued / Weight per unit).',
      },
    },
    async () => {
      const hosts = await ctx.cluster.hosts();
      return Promise.all(
        hosts.map(async (h) => {
          try {
            const res = await fetch(`${h.agentUrl}/router/stats`, { headers: clusterAuthHeader(ctx.clusterToken), signal: AbortSignal.timeout(5000) });
            if (!res.ok) return { host: h.ID, router: null, error: `the agent answered ${res.status}` };
            return { host: h.ID, router: await res.json() };
          } catch (err) {
            return { host: h.ID, router: null, error: (err as Error).message };
          }
        }),
      );
    },
  );
}
