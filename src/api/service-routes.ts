/**
 * Service CRUD and config routes, served by the service directory (config at `/services/:name/config`)
 * and by the orchestrator (config at `/services/:name/config/next`, as Paz's orchestrator proxied them).
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { PazError } from '../core/errors.js';
import { ConfigPatchSchema, CreateServiceSchema, type ConfigPatch, type CreateServiceBody } from '../core/service-spec.js';
import type { ApiContext } from './context.js';
import { NameParams, errorResponses } from './schemas.js';
import { DocOf, ServiceAnswer, ServiceConfigAnswer } from './answer-schemas.js';
import { readAt, readScopes, withRevision } from './read-at.js';
import { AnswerCache } from './answer-cache.js';

export interface ServiceRouteOptions {
  /** 'config' on the directory, 'config/next' on the orchestrator */
  configPath: string;
  tag: string;
  /** called after each change, for live events */
  onChange?: (event: 'service.create' | 'service.del' | 'service.modifyConfig', name: string, payload: unknown) => void;
}

const CreatedAnswer = Type.Object(
  {
    meta: Type.Object({ statusCode: Type.Literal(201), ok: Type.Literal(true), uuid: Type.String(), name: Type.String() }),
    doc: ServiceAnswer,
  },
  { description: "the seed README's `meta` answer, with the stored document beside it" },
);

export function registerServiceRoutes(app: FastifyInstance, ctx: ApiContext, opts: ServiceRouteOptions): void {
  const tags = [opts.tag];
  const listAnswers = new AnswerCache(ctx);

  app.get<{ Querystring: { dockerRepository?: string } }>(
    '/services',
    {
      schema: listAnswers.schema({
        tags,
        summary: 'List services, or look one up by repository',
        description: 'With `dockerRepository`, answers the one service using that image repository (any tag) as `{"doc": service}`.',
        querystring: Type.Object({ dockerRepository: Type.Optional(Type.String({ minLength: 1 })), noEmit: Type.Optional(Type.String()) }),
        response: {
          200: withRevision(DocOf(Type.Union([Type.Array(ServiceAnswer), ServiceAnswer]), 'every service (an array), or with `dockerRepository` the one service using it')),
          ...errorResponses,
        },
      }),
    },
    async (req, reply) =>
      listAnswers.answer(req, reply, readScopes.directory(), async ({ directory }) => {
        const repo = req.query.dockerRepository;
        if (repo === undefined) return { doc: await directory.list() };
        const found = await directory.findByRepository(repo);
        if (found.length === 0) throw new PazError('REPOSITORY_NOT_FOUND', `no service uses the repository "${repo}"`, { dockerRepository: repo });
        if (found.length > 1) {
          throw new PazError('REPOSITORY_AMBIGUOUS', `several services use the repository "${repo}" (${found.map((s) => s.name).join(', ')}): look them up by name`, {
            services: found.map((s) => s.name),
          });
        }
        return { doc: found[0] };
      }),
  );

  app.post<{ Body: CreateServiceBody }>(
    '/services',
    {
      schema: {
        tags,
        summary: 'Create a service',
        description: 'Takes the flat create document (identity and config fields side by side), as in Paz and the seed README.',
        body: CreateServiceSchema,
        querystring: Type.Object({ noEmit: Type.Optional(Type.String()) }),
        response: { 201: CreatedAnswer, ...errorResponses, 409: errorResponses[404] },
      },
    },
    async (req, reply) => {
      const doc = await ctx.directory.create(req.body, req.actor);
      opts.onChange?.('service.create', doc.name, doc);
      return reply.status(201).send({ meta: { statusCode: 201, ok: true, uuid: req.id, name: doc.name }, doc });
    },
  );

  app.get<{ Params: { name: string } }>(
    '/services/:name',
    { schema: { tags, summary: 'Get a service', params: NameParams, response: { 200: withRevision(DocOf(ServiceAnswer)), ...errorResponses } } },
    async (req, reply) => ({ doc: await (await readAt(ctx, reply, readScopes.service(req.params.name))).directory.get(req.params.name) }),
  );

  app.delete<{ Params: { name: string } }>(
    '/services/:name',
    {
      schema: {
        tags,
        summary: 'Delete a service and stop its instances',
        description: 'Its deploy history and journal are kept; re-creating the name continues its version numbers.',
        params: NameParams,
        querystring: Type.Object({ noEmit: Type.Optional(Type.String()) }),
        response: { 204: Type.Null({ description: 'deleted' }), ...errorResponses },
      },
    },
    async (req, reply) => {
      await ctx.directory.delete(req.params.name, req.actor);
      opts.onChange?.('service.del', req.params.name, req.params.name);
      return reply.status(204).send();
    },
  );

  app.get<{ Params: { name: string } }>(
    `/services/:name/${opts.configPath}`,
    { schema: { tags, summary: 'The config the next deploy will use', params: NameParams, response: { 200: withRevision(DocOf(ServiceConfigAnswer)), ...errorResponses } } },
    async (req, reply) => ({ doc: (await (await readAt(ctx, reply, readScopes.service(req.params.name))).directory.get(req.params.name)).config }),
  );

  app.patch<{ Params: { name: string }; Body: ConfigPatch }>(
    `/services/:name/${opts.configPath}`,
    {
      schema: {
        tags,
        summary: 'Change the config the next deploy will use',
        description: 'A shallow merge, as in Paz: sending `env` replaces the whole env map. Takes effect at the next deploy, except `numInstances`, which scales the running version at once.',
        params: NameParams,
        body: ConfigPatchSchema,
        querystring: Type.Object({ noEmit: Type.Optional(Type.String()) }),
        response: { 200: DocOf(ServiceConfigAnswer, 'the merged config'), ...errorResponses },
      },
    },
    async (req) => {
      const config = await ctx.directory.patchConfig(req.params.name, req.body ?? {}, req.actor);
      // Scaling takes effect now, on the running version, without a new version.
      if (req.body?.numInstances !== undefined && (await ctx.deploys.latestVersion(req.params.name)) > 0) {
        await ctx.deploys.scale(req.params.name, req.body.numInstances, req.actor);
      }
      opts.onChange?.('service.modifyConfig', req.params.name, config);
      return { doc: config };
    },
  );
}
