/**
 * Prometheus metrics: every Paz HTTP server (orchestrator, directory, scheduler, agent) serves
 * `/metrics` from one per-process registry: process metrics, HTTP requests by component, route and
 * status, and gauges that a role adds (hosts, units by state, …), computed at scrape time.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics, Gauge } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'paz_' });

const requests = new Counter({
  name: 'paz_http_requests_total',
  help: 'HTTP requests answered, by component, method, route and status',
  labelNames: ['component', 'method', 'route', 'status'] as const,
  registers: [registry],
});

const durations = new Histogram({
  name: 'paz_http_request_duration_seconds',
  help: 'HTTP request durations, by component and route',
  labelNames: ['component', 'route'] as const,
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
  registers: [registry],
});

export function registerMetrics(app: FastifyInstance, component: string): void {
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    if (route === '/metrics') return;
    requests.inc({ component, method: req.method, route, status: String(reply.statusCode) });
    durations.observe({ component, route }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { hide: true } as Record<string, unknown> }, async (_req, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}

/** A gauge whose values are computed when Prometheus scrapes (one per name per process). */
export function scrapeGauge<L extends string>(name: string, help: string, labelNames: readonly L[], compute: (set: (labels: Partial<Record<L, string>>, value: number) => void) => Promise<void>): void {
  if (registry.getSingleMetric(name)) return;
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      await compute((labels, value) => this.set(labels as never, value));
    },
  });
}
