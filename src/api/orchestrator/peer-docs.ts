/**
 * The orchestrator's /docs covers all three APIs: it serves the service directory's and the scheduler's
 * OpenAPI documents at /docs/directory.json and /docs/scheduler.json, generated in-process from the same
 * route code (their apps are built once, never listen, and are closed after their document is taken).
 */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import type { AppOptions } from '../../http/http-app.js';
import { createDirectoryApp } from '../directory/app.js';
import { createSchedulerApp } from '../scheduler/app.js';

export interface PeerDocsOptions {
  /** the ports the directory and scheduler listen on (their documents' server URLs); Paz's defaults otherwise */
  ports?: { directory: number; scheduler: number };
  /** the APIs' certificate: their documents then name https:// servers (the apps built here never listen) */
  tls?: AppOptions['tls'];
}

/** The documents swagger-ui at /docs offers, the orchestrator's first. */
export const DOCS_URLS = [
  { name: 'Orchestrator', url: '/openapi.json' },
  { name: 'Service directory', url: '/docs/directory.json' },
  { name: 'Scheduler', url: '/docs/scheduler.json' },
];

async function documentOf(app: FastifyInstance): Promise<unknown> {
  try {
    await app.ready();
    return app.swagger();
  } finally {
    await app.close();
  }
}

export function registerPeerDocs(app: FastifyInstance, ctx: ApiContext, opts: PeerDocsOptions): void {
  const tls = opts.tls ? { tls: opts.tls } : {};
  const once = (make: () => Promise<FastifyInstance>) => {
    let doc: Promise<unknown> | undefined;
    // a failure is not kept: the next request tries again
    return () => (doc ??= make().then(documentOf).catch((err: unknown) => { doc = undefined; throw err; }));
  };
  const directory = once(() => createDirectoryApp(ctx, { port: opts.ports?.directory, ...tls }));
  const scheduler = once(() => createSchedulerApp(ctx, { port: opts.ports?.scheduler, ...tls }));
  const hidden = { schema: { hide: true } as Record<string, unknown> };
  app.get('/docs/directory.json', hidden, () => directory());
  app.get('/docs/scheduler.json', hidden, () => scheduler());
}
