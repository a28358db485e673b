/** The scheduler API (port 9002): deploy hooks, versions, history, journal. */
import type { FastifyInstance } from 'fastify';
import { createApp, type AppOptions } from '../../http/http-app.js';
import { apiAuth, type ApiContext } from '../context.js';
import { registerSchedulerRoutes } from './routes.js';
import { registerOpenApi } from '../openapi.js';

export async function createSchedulerApp(ctx: ApiContext, opts: Partial<AppOptions> & { port?: number } = {}): Promise<FastifyInstance> {
  const app = createApp({ component: 'paz-scheduler', ...opts, auth: apiAuth(ctx) });
  await registerOpenApi(app, { title: 'Paz scheduler API', description: 'Deploy hooks, config versions, history and the journal (port 9002).', port: opts.port ?? 9002, https: opts.tls !== undefined }, false);
  registerSchedulerRoutes(app, ctx);
  return app;
}
