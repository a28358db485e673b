/**
 * The dashboard (issue 10): the web app built into dist/web (web/, `npm run build`) served at /ui/ without
 * a token (it holds no data; every API call it makes sends the signed-in token), and `GET /auth/whoami`, which
 * tells the app who the token is. Hashed assets are cached for a year; index.html never, so a new build is
 * picked up at the next load. Any other /ui/* path is the app's own route: index.html answers it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import { existsSync, readFileSync, statSync } from 'node:fs';
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

/** Whether `name` is a file directly inside the assets directory (Vite writes them flat; no `..`, no subdirectory). */
export function isAsset(assetsDir: string, name: string): boolean {
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith('.')) return false;
  try {
    return statSync(join(assetsDir, name)).isFile();
  } catch {
    return false;
  }
}

export async function registerUiRoutes(app: FastifyInstance, opts: UiRouteOptions): Promise<void> {
  const webDir = opts.webDir ?? WEB_DIR;
  const indexFile = join(webDir, 'index.html');
  const assetsDir = join(webDir, 'assets');

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
    await scope.register(fastifyStatic, { root: assetsDir, serve: false });
    scope.get<{ Params: { '*': string } }>('/ui/assets/*', { schema: { hide: true } as Record<string, unknown>, config: { access: 'public' } }, async (req, reply) => {
      const name = req.params['*'];
      // answered here, not by @fastify/static's not-found path (which would ask the auth hook for a token);
      // a stale index.html asking for an old hash gets a 404, not the app
      if (!isAsset(assetsDir, name)) throw new PazError('ROUTE_NOT_FOUND', `the dashboard has no file assets/${name.slice(0, 100)}: reload the page`);
      // names carry a content hash: a changed file gets a new name, so a year's cache is safe
      return reply.sendFile(name, { immutable: true, maxAge: '365d', dotfiles: 'deny' });
    });
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
