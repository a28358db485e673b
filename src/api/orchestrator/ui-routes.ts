/**
 * The dashboard (issue 10): the web app built into dist/web (web/, `npm run build`) served at /ui/ without
 * a token (it holds no data; every API call it makes sends the signed-in token), and `GET /auth/whoami`, which
 * tells the app who the token is. Hashed assets are cached for a year; index.html never, so a new build is
 * picked up at the next load. Any other /ui/* path is the app's own route: index.html answers it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import { PazError } from '../../core/errors.js';
import { ANONYMOUS } from '../../http/auth.js';
import type { ApiAuth } from '../../http/auth.js';

/** dist/web beside dist/src (this file is dist/src/api/orchestrator/ui-routes.js) */
export const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'web');

export interface UiRouteOptions {
  auth: ApiAuth | undefined;
  /** where the built app is (default dist/web) */
  webDir?: string;
}

/** Whether a request is a browser asking for a page (Accept names text/html), not an API client. */
export function wantsHtml(accept: string | undefined): boolean {
  return accept !== undefined && /(^|,)\s*text\/html\b/i.test(accept);
}

export async function registerUiRoutes(app: FastifyInstance, opts: UiRouteOptions): Promise<void> {
  const webDir = opts.webDir ?? WEB_DIR;
  const indexFile = join(webDir, 'index.html');

  app.get(
    '/auth/whoami',
    {
      schema: {
        tags: ['auth'],
        summary: 'Who the token sent is: its name and role',
        description: 'With auth off (--no-auth) everyone is `anonymous` with the role admin, and `auth` is "off".',
        response: { 200: Type.Object({ name: Type.String(), role: Type.String(), auth: Type.Optional(Type.Literal('off')) }) },
      },
    },
    async (req) => {
      if (opts.auth === undefined || opts.auth === 'off') return { name: ANONYMOUS, role: 'admin', auth: 'off' as const };
      // access 'read' ran first: there is an identity
      return { name: req.auth!.name, role: req.auth!.role };
    },
  );

  // a browser opening the orchestrator's address lands on the dashboard; API clients keep their 404
  app.get('/', { schema: { hide: true } as Record<string, unknown>, config: { access: 'public' } }, async (req, reply) => {
    if (wantsHtml(req.headers.accept)) return reply.redirect('/ui/', 302);
    throw new PazError('ROUTE_NOT_FOUND', 'no route GET / on paz-orchestrator: see /docs for the API, or open /ui/ in a browser for the dashboard');
  });

  // in a scope of its own: swagger-ui registers @fastify/static too, and reply.sendFile is decorated once per scope
  await app.register(async (scope) => {
    await scope.register(fastifyStatic, { root: join(webDir, 'assets'), serve: false });
    scope.get<{ Params: { '*': string } }>('/ui/assets/*', { schema: { hide: true } as Record<string, unknown>, config: { access: 'public' } }, async (req, reply) =>
      // names carry a content hash: a changed file gets a new name, so a year's cache is safe
      reply.sendFile(req.params['*'], { immutable: true, maxAge: '365d', dotfiles: 'deny' }),
    );
  });

  const sendIndex = async (_req: FastifyRequest, reply: FastifyReply) => {
    if (!existsSync(indexFile)) {
      throw new PazError('ROUTE_NOT_FOUND', `the dashboard is not built (${indexFile} is missing): run \`npm run build\``);
    }
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(readFileSync(indexFile));
  };
  const pageOpts = { schema: { hide: true } as Record<string, unknown>, config: { access: 'public' as const } };
  app.get('/ui', pageOpts, async (_req, reply) => reply.redirect('/ui/', 302));
  app.get('/ui/', pageOpts, sendIndex);
  app.get('/ui/*', pageOpts, async (req, reply) => {
    return sendIndex(req, reply);
  });
}
