/**
 * Registry credentials on the orchestrator (admin only): set, list and remove the login Paz uses for a
 * registry host, to pull (agents) and to ask for digests (deploys). The password goes in and never out.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiContext } from '../context.js';
import { errorResponses } from '../schemas.js';
import { DocOf, RegistryLoginAnswer } from '../answer-schemas.js';
import { readAt, readScopes, withRevision } from '../read-at.js';
import { RegistryLogins } from '../../state/registry-logins.js';
import { MAX_PASSWORD_LENGTH, MAX_USERNAME_LENGTH } from '../../core/registry-auth.js';

const HostParams = Type.Object({
  host: Type.String({ minLength: 1, maxLength: 300, description: 'registry host[:port] as image references name it: ghcr.io, docker.io, 127.0.0.1:5001' }),
});

export function registerRegistryRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const tags = ['registries'];
  const logins = new RegistryLogins(ctx.store, ctx.secretKey);

  app.put<{ Params: { host: string }; Body: { username: string; password: string } }>(
    '/registries/:host',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Set the credentials Paz pulls from a registry with',
        description:
          'A username and a password or access token for one registry host. Docker Hub is `docker.io` (its aliases `registry-1.docker.io` and `index.docker.io` mean the same). ' +
          'The password is stored sealed (AES-256-GCM with the cluster\'s secrets key) and is never shown again: answers carry a fingerprint instead. Setting it again replaces it.',
        params: HostParams,
        body: Type.Object(
          {
            username: Type.String({ minLength: 1, maxLength: MAX_USERNAME_LENGTH }),
            password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH, description: 'password or access token' }),
          },
          { additionalProperties: false },
        ),
        response: { 200: DocOf(RegistryLoginAnswer), ...errorResponses },
      },
    },
    async (req) => ({ doc: await logins.set(req.params.host, req.body, req.actor) }),
  );

  app.get(
    '/registries',
    {
      config: { access: 'admin' },
      schema: { tags, summary: 'Registries Paz has credentials for: host, username and a fingerprint of the password (never the password)', response: { 200: withRevision(DocOf(Type.Array(RegistryLoginAnswer))) } },
    },
    async (_req, reply) => ({ doc: await (await readAt(ctx, reply, readScopes.registries())).registryLogins.list() }),
  );

  app.delete<{ Params: { host: string } }>(
    '/registries/:host',
    {
      config: { access: 'admin' },
      schema: { tags, summary: 'Remove the credentials of a registry host', params: HostParams, response: { 204: Type.Null(), ...errorResponses } },
    },
    async (req, reply) => {
      await logins.remove(req.params.host, req.actor);
      return reply.status(204).send();
    },
  );
}
