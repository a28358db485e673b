/** The service directory API (port 9001): Paz's catalogue of services. */
import type { FastifyInstance } from 'fastify';
import { createApp, type AppOptions } from '../../http/http-app.js';
import { apiAuth, type ApiContext } from '../context.js';
import { registerServiceRoutes, type ServiceRouteOptions } from '../service-routes.js';
import { registerOpenApi } from '../openapi.js';

export interface DirectoryOptions extends Partial<AppOptions>, Pick<ServiceRouteOptions, 'onChange'> {
  port?: number;
}

export async function createDirectoryApp(ctx: ApiContext, opts: DirectoryOptions = {}): Promise<FastifyInstance> {
  const app = createApp({ component: 'paz-service-directory', ...opts, auth: apiAuth(ctx) });
  await registerOpenApi(app, { title: 'Paz service directory API', description: 'The catalogue of services (port 9001).', port: opts.port ?? 9001, https: opts.tls !== undefined }, false);
  registerServiceRoutes(app, ctx, { configPath: 'config', tag: 'directory', onChange: opts.onChange });
  return app;
}
