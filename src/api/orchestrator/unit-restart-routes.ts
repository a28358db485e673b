/** Restarting one instance of a service (`paz restart NAME --unit U`): ask, follow, withdraw. */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiContext } from '../context.js';
import { errorResponses } from '../schemas.js';
import { DocOf } from '../answer-schemas.js';
import { parseUnitName } from '../../core/unit-name.js';
import { UnitRestarts } from '../../state/unit-restarts.js';

const UnitParams = Type.Object({ name: Type.String({ description: 'service name' }), id: Type.String({ description: 'the unit: <service>-<version>-<instance>, or <service>-<instance> for the newest version\'s' }) });

const UnitRestartAnswer = Type.Object(
  {
    unit: Type.String(),
    service: Type.String(),
    state: Type.Union([Type.Literal('replacing'), Type.Literal('retiring'), Type.Literal('replaced'), Type.Literal('stuck')], {
      description: 'replacing: a fresh instance is on its way (the old one serves meanwhile); retiring: the fresh one took over and the old one is being drained, then stopped; replaced: the old one is stopped and removed; stuck: the replacement cannot be placed, keeps failing, or was not healthy within the rollout healthyDeadlineSeconds (the old one keeps serving; withdraw with DELETE)',
    }),
    replacement: Type.Optional(Type.String({ description: 'the instance that takes over, once there is one' })),
    reason: Type.Optional(Type.String({ description: 'why it is stuck' })),
    since: Type.Optional(Type.Number({ description: 'ms; when it was asked for (absent once done)' })),
    actor: Type.Optional(Type.String({ description: 'who asked (the API token\'s name)' })),
  },
  { additionalProperties: true },
);

export function registerUnitRestartRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const tags = ['services'];
  const restarts = new UnitRestarts(ctx.store);
  /** the unit's full name: a live unit by either name; a retired or gone one by its full name (following a restart to its end) */
  const unitName = async (service: string, id: string): Promise<string> => {
    await ctx.directory.get(service);
    const live = await ctx.cluster.serviceUnit(service, id).catch((err: unknown) => {
      if (parseUnitName(id)?.service === service) return undefined;
      throw err;
    });
    return live?.name ?? id;
  };

  app.post<{ Params: { name: string; id: string } }>(
    '/services/:name/units/:id/restart',
    {
      schema: {
        tags,
        summary: 'Restart one instance: a fresh one replaces it, then it is drained and stopped (no gap)',
        description:
          "Like Heroku's `ps:restart web.1` without the gap: a new instance of the same version (next instance number, placed on any eligible host, its own included) starts, and the old one is retired (routers drain it, then it stops) once the new one has been healthy for the rollout's minHealthySeconds. 202 with how it goes (GET follows it); asking again while it runs changes nothing. 409 `PAZ_CONFLICT` while the service deploys, and for a unit not placed, already being retired or already being replaced. A replacement that cannot be placed, keeps failing or is not healthy within the rollout's healthyDeadlineSeconds leaves the old instance serving (state `stuck`).",
        params: UnitParams,
        body: Type.Optional(Type.Object({}, { additionalProperties: false })),
        response: { 202: DocOf(UnitRestartAnswer), ...errorResponses },
      },
    },
    async (req, reply) => {
      await ctx.directory.get(req.params.name);
      const unit = (await ctx.cluster.serviceUnit(req.params.name, req.params.id)).name;
      const { answer } = await restarts.request(req.params.name, unit, req.actor ?? 'anonymous');
      return reply.status(202).send({ doc: answer });
    },
  );

  app.get<{ Params: { name: string; id: string } }>(
    '/services/:name/units/:id/restart',
    {
      schema: {
        tags,
        summary: "How a unit's restart goes: replacing, replaced or stuck (why)",
        description: '404 `PAZ_UNIT_NOT_FOUND` when no restart of the unit was asked (or it was withdrawn) and it was not replaced.',
        params: UnitParams,
        response: { 200: DocOf(UnitRestartAnswer), ...errorResponses },
      },
    },
    async (req) => ({ doc: await restarts.progress(req.params.name, await unitName(req.params.name, req.params.id)) }),
  );

  app.delete<{ Params: { name: string; id: string } }>(
    '/services/:name/units/:id/restart',
    {
      schema: {
        tags,
        summary: "Withdraw a unit's restart: a replacement not yet healthy is stopped, the old instance stays",
        description: 'A replacement already healthy finishes the restart (instances do not move back). `withdrawn` is false when no restart was asked.',
        params: UnitParams,
        response: { 200: DocOf(Type.Object({ unit: Type.String(), withdrawn: Type.Boolean() })), ...errorResponses },
      },
    },
    async (req) => {
      const unit = await unitName(req.params.name, req.params.id);
      return { doc: { unit, ...(await restarts.withdraw(req.params.name, unit)) } };
    },
  );
}
