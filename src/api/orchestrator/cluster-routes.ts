/** The cluster's hosts and units, in Paz's fleet shapes plus Paz's own status fields. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import { unitVisible, type UnitFilter } from '../../core/unit-view.js';
import type { ApiContext } from '../context.js';
import { errorResponses } from '../schemas.js';
import { ClusterAnswer, HealthAnswer, HostAnswer, HostDrainChangeAnswer, UnitAnswer } from '../answer-schemas.js';
import { HostDrains } from '../../state/host-drains.js';
import { ClusterView } from '../../state/cluster.js';
import { readAt, readScopes, withRevision } from '../read-at.js';
import { AnswerCache } from '../answer-cache.js';
import { endpointTree } from '../../core/endpoint-tree.js';
import { SERVICES_PREFIX } from '../../core/keys.js';

const FilterQuery = Type.Object({
  includeSystemUnits: Type.Optional(Type.Boolean()),
  includeAnnouncers: Type.Optional(Type.Boolean()),
  includeLoadbalancers: Type.Optional(Type.Boolean()),
});
const IdParams = Type.Object({ id: Type.String() });
const Health = withRevision(HealthAnswer);
const AnyObject = Type.Object({}, { additionalProperties: true });

export function registerClusterRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const tags = ['cluster'];
  // the big lists keep their answer until their records change (unit answers carry no clock-made field)
  const unitAnswers = new AnswerCache(ctx);
  const endpointAnswers = new AnswerCache(ctx);
  // one per service asked for: more URLs
  const serviceUnitAnswers = new AnswerCache(ctx, { maxUrls: 64 });
  // a host's `healthy` also depends on the clock (a heartbeat older than its TTL makes it false with no
  // write), so these are made per request and keep their tag only while their bytes stay the same; the hosts
  // list is big (1,000 hosts with their unit names) and polled, /cluster is small: tagged, not compressed
  const summaryAnswers = new AnswerCache(ctx, { clock: true });
  const hostAnswers = new AnswerCache(ctx, { clock: true });
  const oneHostAnswers = new AnswerCache(ctx, { clock: true, maxUrls: 64 });

  app.get('/cluster', { schema: summaryAnswers.schema({ tags, summary: 'Cluster summary', response: { 200: withRevision(ClusterAnswer) } }) }, async (req, reply) =>
    summaryAnswers.answer(req, reply, readScopes.cluster(), async ({ cluster }) => {
      const [hosts, units] = await Promise.all([cluster.hosts(), cluster.units()]);
      const services = new Set(units.map((u) => u.service));
      return {
        hostCount: hosts.length,
        healthyHostCount: hosts.filter((h) => h.healthy).length,
        unitCount: units.length,
        healthyUnitCount: units.filter((u) => u.healthy).length,
        unplacedUnitCount: units.filter((u) => u.host === null).length,
        serviceCount: services.size,
      };
    }),
  );

  app.get<{ Querystring: UnitFilter }>(
    '/cluster/hosts',
    { schema: hostAnswers.schema({ tags, summary: 'Hosts, with the units placed on each', querystring: FilterQuery, response: { 200: withRevision(Type.Array(HostAnswer)) } }) },
    async (req, reply) => hostAnswers.answer(req, reply, readScopes.cluster(), async ({ cluster }) => (await cluster.hosts()).map((h) => ({ ...h, units: h.units.filter((u) => unitVisible(u, req.query)) }))),
  );

  app.get<{ Params: { id: string }; Querystring: UnitFilter }>(
    '/cluster/hosts/:id',
    { schema: oneHostAnswers.schema({ tags, summary: 'One host', params: IdParams, querystring: FilterQuery, response: { 200: withRevision(HostAnswer), ...errorResponses } }) },
    async (req, reply) =>
      oneHostAnswers.answer(req, reply, readScopes.cluster(), async ({ cluster }) => {
        const h = await cluster.host(req.params.id);
        return { ...h, units: h.units.filter((u) => unitVisible(u, req.query)) };
      }),
  );

  // /cluster/hosts/:id/health: health-routes.ts, with the cluster's and the services'

  // Draining moves every service's units off a host: a cluster operation, admin-only like forgetting a host.
  for (const drained of [true, false]) {
    app.post<{ Params: { id: string } }>(
      `/cluster/hosts/:id/${drained ? 'drain' : 'undrain'}`,
      {
        config: { access: 'admin' },
        schema: {
          tags,
          summary: drained ? 'Drain a host: no new units go there, and its units move to other hosts with no failed request' : 'Make a drained host eligible for new units again',
          description: drained
            ? 'Each unit on the host gets a replacement on another eligible host; the old unit is retired (routers drain it, then it stops) once the replacement has been healthy for a while. ' +
              'A unit no other host can take stays running, and the drain says so (state "stuck"). Follow it with GET /cluster/hosts/{id} (its `drain`). Drained is kept until undrained, through agent restarts.'
            : 'Units that moved away stay where they are (like Nomad\'s node eligibility); a move not finished yet is cancelled when its replacement is not healthy yet.',
          params: IdParams,
          response: { 200: HostDrainChangeAnswer, ...errorResponses },
        },
      },
      async (req) => {
        const { record, changed } = await new HostDrains(ctx.store).set(req.params.id, drained, req.actor);
        const drain = record ? await new ClusterView(ctx.store).drainOf(req.params.id) : undefined;
        return { host: req.params.id, drained: record !== undefined, changed, ...(drain ? { drain } : {}) };
      },
    );
  }

  app.get<{ Querystring: UnitFilter }>(
    '/cluster/units',
    { schema: unitAnswers.schema({ tags, summary: 'Every unit (instance) of every service, placed or not', querystring: FilterQuery, response: { 200: withRevision(Type.Array(UnitAnswer)) } }) },
    async (req, reply) => unitAnswers.answer(req, reply, readScopes.cluster(), async ({ cluster }) => (await cluster.units()).filter((u) => unitVisible(u.name, req.query))),
  );

  app.get<{ Params: { id: string } }>(
    '/cluster/units/:id',
    { schema: { tags, summary: 'One unit, by name (<service>-<version>-<instance>, or <service>-<instance> for the newest version\'s)', params: IdParams, response: { 200: withRevision(UnitAnswer), ...errorResponses } } },
    async (req, reply) => (await readAt(ctx, reply, readScopes.cluster())).cluster.unit(req.params.id),
  );

  app.get<{ Params: { id: string } }>(
    '/cluster/units/:id/health',
    { schema: { tags, summary: 'Whether the unit is running and passing its health check', params: IdParams, response: { 200: Health, ...errorResponses } } },
    async (req, reply) => ({ healthy: (await (await readAt(ctx, reply, readScopes.cluster())).cluster.unit(req.params.id)).healthy }),
  );

  app.get(
    '/cluster/endpoints',
    {
      schema: endpointAnswers.schema({
        tags,
        summary: 'Announced endpoints: {service: {version: {instance: "ip:port"}}}, components flat',
        description: 'What the routers route to: the healthy instances announced at /paz/services/<service>/<version>/<instance>.',
        response: { 200: withRevision(AnyObject) },
      }),
    },
    async (req, reply) => endpointAnswers.answer(req, reply, readScopes.endpoints(), async ({ snapshot }) => endpointTree((await snapshot.range(SERVICES_PREFIX)).kvs)),
  );

  const stags = ['services'];
  app.get<{ Params: { name: string }; Querystring: UnitFilter }>(
    '/services/:name/units',
    { schema: serviceUnitAnswers.schema({ tags: stags, summary: "The service's units", params: Type.Object({ name: Type.String() }), querystring: FilterQuery, response: { 200: withRevision(Type.Array(UnitAnswer)), ...errorResponses } }) },
    async (req, reply) =>
      serviceUnitAnswers.answer(req, reply, [...readScopes.service(req.params.name), ...readScopes.cluster()], async (read) => {
        await read.directory.get(req.params.name);
        return (await read.cluster.units(req.params.name)).filter((u) => unitVisible(u.name, req.query));
      }),
  );

  const unitOfService = async (reply: FastifyReply, name: string, id: string) => (await readAt(ctx, reply, readScopes.cluster())).cluster.serviceUnit(name, id);

  app.get<{ Params: { name: string; id: string } }>(
    '/services/:name/units/:id',
    { schema: { tags: stags, summary: 'One unit of the service', params: Type.Object({ name: Type.String(), id: Type.String() }), response: { 200: withRevision(UnitAnswer), ...errorResponses } } },
    async (req, reply) => unitOfService(reply, req.params.name, req.params.id),
  );

  app.get<{ Params: { name: string; id: string } }>(
    '/services/:name/units/:id/health',
    { schema: { tags: stags, summary: "Whether the service's unit is healthy", params: Type.Object({ name: Type.String(), id: Type.String() }), response: { 200: Health, ...errorResponses } } },
    async (req, reply) => ({ healthy: (await unitOfService(reply, req.params.name, req.params.id)).healthy }),
  );
}
