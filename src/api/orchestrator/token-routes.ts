/** API tokens on the orchestrator (admin only): create (the token is shown once), list, revoke. */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ROLES, TOKEN_NAME_PATTERN } from '../../core/tokens.js';
import type { ApiContext } from '../context.js';
import { errorResponses } from '../schemas.js';
import { DocOf, TokenInfoAnswer } from '../answer-schemas.js';
import { readAt, readScopes, withRevision } from '../read-at.js';

const CreateTokenBody = Type.Object(
  {
    name: Type.String({ pattern: TOKEN_NAME_PATTERN, maxLength: 64, description: 'unique; a-z, 0-9 and "-"' }),
    role: Type.Union(ROLES.map((r) => Type.Literal(r)), { description: 'admin: everything, tokens included; deployer: services, config, deploy, rollback, scale; read-only: reads' }),
  },
  { additionalProperties: false },
);

const TokenInfo = TokenInfoAnswer;

export function registerTokenRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const tags = ['auth'];
  const config = { access: 'admin' as const };

  app.post<{ Body: Static<typeof CreateTokenBody> }>(
    '/auth/tokens',
    {
      config,
      schema: {
        tags,
        summary: 'Create an API token (admin)',
        description: 'The answer carries the token itself: it is shown this once (only its hash is stored). Send it as `Authorization: Bearer <token>`.',
        body: CreateTokenBody,
        response: { 201: Type.Object({ ...TokenInfo.properties, token: Type.String() }), ...errorResponses, 409: errorResponses[404] },
      },
    },
    async (req, reply) => reply.status(201).send(await ctx.tokens.create(req.body.name, req.body.role, req.actor)),
  );

  app.get(
    '/auth/tokens',
    { config, schema: { tags, summary: 'List API tokens (admin): names, roles, who made them; never the tokens or their hashes', response: { 200: withRevision(DocOf(Type.Array(TokenInfo))) } } },
    async (_req, reply) => ({ doc: await (await readAt(ctx, reply, readScopes.tokens())).tokens.list() }),
  );

  app.delete<{ Params: { idOrName: string } }>(
    '/auth/tokens/:idOrName',
    {
      config,
      schema: {
        tags,
        summary: 'Revoke an API token (admin), by id or name',
        description: 'Takes effect within a second on every server; the streams the token has open (/events, followed logs) end within about two. The last admin token cannot be revoked (409): create another admin token first.',
        params: Type.Object({ idOrName: Type.String({ description: 'the token\'s id or name' }) }),
        response: { 200: DocOf(TokenInfo, 'the revoked token'), ...errorResponses, 409: errorResponses[404] },
      },
    },
    async (req) => ({ doc: await ctx.tokens.revoke(req.params.idOrName, req.actor) }),
  );
}
