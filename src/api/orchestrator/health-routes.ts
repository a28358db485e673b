/**
 * Health at the three levels the seed promises (cluster, host, service): healthy or not, and why. The
 * verdicts are health-levels.ts's; these routes read and answer them, every field described.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiContext } from '../context.js';
import { NameParams, errorResponses } from '../schemas.js';
import { readScopes, withRevision, type ReadViews } from '../read-at.js';
import { HostDrainAnswer } from '../answer-schemas.js';
import { AnswerCache } from '../answer-cache.js';
import type { HealthView } from '../../state/health.js';

const Status = Type.Union([Type.Literal('healthy'), Type.Literal('degraded'), Type.Literal('unhealthy')], {
  description: "'healthy'; 'degraded': works with less than asked (a host down, an instance short, a failed deploy while the version before serves, a deploy under way); 'unhealthy': does not work",
});
const Ms = (description: string) => Type.Number({ description: `${description} (ms since the epoch)` });
const verdict = {
  healthy: Type.Boolean({ description: "status is 'healthy'" }),
  status: Status,
  reasons: Type.Array(Type.String(), { description: 'why it is not healthy, one sentence each (empty when healthy)' }),
  checkedAt: Ms('when this was decided'),
};

const Problem = Type.Object({
  component: Type.Union([Type.Literal('driver'), Type.Literal('router'), Type.Literal('address'), Type.Literal('leftover')], { description: "what the agent found wrong: its driver's runtime (dockerd), its router, the host name given as --address resolving elsewhere now, or a retired unit's instance the driver keeps refusing to remove (the agent keeps trying)" }),
  message: Type.String(),
  since: Ms('first seen'),
});

const HostHealth = Type.Object(
  {
    id: Type.String({ description: 'host id' }),
    hostname: Type.String(),
    ...verdict,
    state: Type.Union([Type.Literal('up'), Type.Literal('down')], { description: "'up' while its agent's heartbeat lease holds; 'down' once it is gone" }),
    heartbeatAt: Ms("the agent's last heartbeat"),
    heartbeatAgeMs: Type.Number({ description: 'how old that heartbeat is' }),
    heartbeatTtlSeconds: Type.Number({ description: "the agent's lease: its record vanishes this long after its last refresh" }),
    downSince: Type.Optional(Ms('down hosts: when the agent stopped, or was last heard of')),
    downBecause: Type.Optional(Type.Union([Type.Literal('stopped'), Type.Literal('heartbeat-lost')], { description: 'down hosts: a clean stop, or a lost heartbeat' })),
    graceEndsAt: Type.Optional(Ms("down hosts: when its units are (were) placed elsewhere: downSince + the control plane's --host-loss-grace")),
    inGrace: Type.Optional(Type.Boolean({ description: 'down hosts: its units still wait for it' })),
    problems: Type.Array(Problem, { description: 'what its agent reported wrong at its last heartbeat' }),
    units: Type.Object({ placed: Type.Integer({ description: 'units placed on it, not draining' }), healthy: Type.Integer() }),
    drain: Type.Optional(HostDrainAnswer),
  },
);

const Deploy = Type.Union(
  [
    Type.Object({
      version: Type.Integer({ description: 'the latest deploy' }),
      state: Type.Union([Type.Literal('deploying'), Type.Literal('succeeded'), Type.Literal('failed')]),
      reason: Type.Optional(Type.String({ description: 'why it failed' })),
      strategy: Type.Optional(Type.String({ description: 'rolling or recreate' })),
      startedAt: Type.Optional(Ms('deploy started')),
      finishedAt: Type.Optional(Ms('deploy succeeded or failed')),
    }),
    Type.Null(),
  ],
  { description: 'the latest deploy; null when never deployed' },
);

const Instances = Type.Object(
  {
    desired: Type.Integer({ description: 'instances asked for, of the version scaling acts on' }),
    healthy: Type.Integer({ description: 'live instances healthy, any version' }),
    starting: Type.Integer({ description: 'not healthy yet: unplaced, held, pulling, starting' }),
    unhealthy: Type.Integer({ description: 'down: failed probes, exited, restarting after a failure, host down' }),
    draining: Type.Integer({ description: 'old instances being retired' }),
  },
  { description: 'instance counts' },
);

const UnitHealth = Type.Object({
  name: Type.String(),
  version: Type.Integer(),
  instance: Type.Integer(),
  host: Type.Union([Type.String(), Type.Null()]),
  state: Type.String({ description: "as its agent reports it, or 'unplaced', 'held', 'pending' (placed, not reported yet), 'host-down'" }),
  healthy: Type.Boolean(),
  since: Type.Optional(Ms('healthy since; otherwise unhealthy (or starting) since')),
  reason: Type.Optional(Type.String()),
  lastProbe: Type.Optional(Type.Object({ at: Ms('probed'), ok: Type.Boolean(), error: Type.Optional(Type.String()) })),
  restarts: Type.Integer(),
  deploying: Type.Boolean({ description: 'of the version being deployed' }),
  draining: Type.Boolean(),
});

const serviceFields = {
  service: Type.String(),
  ...verdict,
  summary: Type.String({ description: 'one sentence on the whole, healthy or not' }),
  deploy: Deploy,
  serving: Type.Integer({ description: 'the version that serves (0: none)' }),
  instances: Instances,
};
const ServiceHealth = Type.Object({ ...serviceFields, units: Type.Array(UnitHealth) });

const ClusterHealth = Type.Object(
  {
    ...verdict,
    summary: Type.String({ description: 'one sentence on the whole' }),
    hosts: Type.Array(HostHealth, { description: 'live hosts, and down ones last seen within a day' }),
    services: Type.Array(Type.Object(serviceFields), { description: 'each service, without its units (GET /services/NAME/health has them)' }),
    counts: Type.Object({
      hosts: Type.Integer(),
      hostsUp: Type.Integer(),
      hostsDown: Type.Integer(),
      hostsUnhealthy: Type.Integer({ description: 'up but unwell (driver, router, late heartbeat)' }),
      services: Type.Integer(),
      servicesHealthy: Type.Integer(),
      servicesDegraded: Type.Integer(),
      servicesUnhealthy: Type.Integer(),
    }),
  },
);

export function registerHealthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  // Health answers are made of the store and the clock, and say so: `checkedAt` is now, heartbeat ages and
  // the reasons' "for 3 min" durations grow by the millisecond. Their bytes differ at every request, so they
  // get no ETag (a tag that never matches again costs a hash and promises a 304 that never comes), but the
  // big ones (the cluster's at 1,000 hosts, a service's with its units) are compressed, per request, on the
  // thread pool; the requests arriving while one is made share it.
  const clusterAnswers = new AnswerCache(ctx, { clock: true, tagged: false });
  const hostAnswers = new AnswerCache(ctx, { clock: true, tagged: false, maxUrls: 64 });
  const serviceAnswers = new AnswerCache(ctx, { clock: true, tagged: false, maxUrls: 64 });
  /** the health view over one consistent read, whose revision the answer names (x-paz-revision) */
  const healthOf = (views: ReadViews): HealthView => ctx.health.over(views.snapshot, views.directory, views.deploys);
  app.get(
    '/cluster/health',
    {
      schema: clusterAnswers.schema({
        tags: ['cluster'],
        summary: 'Whether the cluster is healthy, and why not: hosts down (since when, within the host-loss grace or past it), hosts unwell, services unhealthy or degraded',
        response: { 200: withRevision(ClusterHealth) },
      }),
    },
    async (req, reply) => clusterAnswers.answer(req, reply, readScopes.health(), async (views) => healthOf(views).cluster()),
  );

  app.get<{ Params: { id: string } }>(
    '/cluster/hosts/:id/health',
    {
      schema: hostAnswers.schema({
        tags: ['cluster'],
        summary: "Whether the host is healthy, and why not: its heartbeat (age, lost since when), its driver and router problems. A down host answers too, while it is known",
        params: Type.Object({ id: Type.String() }),
        response: { 200: withRevision(HostHealth), ...errorResponses },
      }),
    },
    async (req, reply) => hostAnswers.answer(req, reply, readScopes.health(), async (views) => healthOf(views).host(req.params.id)),
  );

  app.delete<{ Params: { id: string } }>(
    '/cluster/hosts/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['cluster'],
        summary: 'Forget a down host (decommissioned), so the cluster health stops naming it',
        description: 'Down hosts are otherwise listed for a day after they were last seen. A host that is up is refused (409): stop its agent first.',
        params: Type.Object({ id: Type.String() }),
        response: { 204: Type.Null({ description: 'forgotten' }), ...errorResponses, 409: errorResponses[404] },
      },
    },
    async (req, reply) => {
      await ctx.health.forgetHost(req.params.id);
      return reply.status(204).send();
    },
  );

  app.get<{ Params: { name: string } }>(
    '/services/:name/health',
    {
      schema: serviceAnswers.schema({
        tags: ['services'],
        summary: 'Whether the service is healthy, and why not: units unhealthy (since when, their reason and last probe), a deploy failing or under way, desired against healthy instances',
        params: NameParams,
        response: { 200: withRevision(ServiceHealth), ...errorResponses },
      }),
    },
    async (req, reply) => serviceAnswers.answer(req, reply, readScopes.health(), async (views) => healthOf(views).service(req.params.name)),
  );
}
