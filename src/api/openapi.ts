/**
 * OpenAPI 3 documents generated from the route schemas. Each API serves its own at `/openapi.json`;
 * the orchestrator also serves a readable reference of all three at `/docs` (orchestrator/peer-docs.ts).
 */
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { PAZ_VERSION } from '../version.js';
import { accessOf } from '../http/access.js';

export interface OpenApiInfo {
  title: string;
  description: string;
  port: number;
  /** the API serves HTTPS (--tls-cert) */
  https?: boolean;
}

/** Must be registered before the routes it documents. */
/** `ui`: serve swagger-ui at /docs, offering these documents (the first shown first). */
export async function registerOpenApi(app: FastifyInstance, info: OpenApiInfo, ui: false | { urls: Array<{ name: string; url: string }> }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: info.title, description: info.description, version: PAZ_VERSION },
      servers: [{ url: `${info.https ? 'https' : 'http'}://127.0.0.1:${info.port}` }],
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'a Paz API token (paz token create); the admin token is in DATA_DIR/admin-token' } } },
      security: [{ bearerAuth: [] }],
    },
    // each operation says who may call it (`x-paz-access`, http/access.ts); public ones need no token
    transform: ({ schema, url, route }) => {
      const method = Array.isArray(route.method) ? route.method[0] : route.method;
      const access = accessOf(method, route.config?.access);
      return { schema: { ...(schema ?? {}), 'x-paz-access': access, ...(access === 'public' ? { security: [] } : {}) } as typeof schema, url };
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => String(json.$id ?? `def-${i}`) },
  });
  if (ui) {
    await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true, urls: ui.urls, 'urls.primaryName': ui.urls[0]?.name } as Record<string, unknown>, staticCSP: true });
  }
  app.get('/openapi.json', { schema: { hide: true } as Record<string, unknown> }, async () => app.swagger());
}
