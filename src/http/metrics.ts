/**
 * Prometheus metrics: every Paz HTTP server (orchestrator, directory, scheduler, agent) serves
 * `/metrics` from one per-process registry: process metrics, HTTP requests by component, route and
 * status, and gauges that a role adds (hosts, units by state, …), computed at scrape time.
 */
import type { FastifyInstance } from 'fastify';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Histogram, Registry, collectDefaultMetrics, Gauge } from 'prom-client';
import { attachMetricsSink } from './metrics-sink.js';

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

/**
 * How long the event loop was blocked: every LAG_WINDOW_MS the longest delay seen in that window is
 * observed. A blocked loop starves leases, watches and HTTP alike (a big deploy once blocked it for
 * seconds), so this is the number to watch; a scraper diffs the buckets over the span it cares about.
 */
const LAG_WINDOW_MS = 500;
const loopLag = new Histogram({
  name: 'paz_event_loop_lag_max_seconds',
  help: `the longest event-loop delay within each ${LAG_WINDOW_MS} ms window`,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});
const LAG_RESOLUTION_MS = 10;
const loopDelay = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
loopDelay.enable();
setInterval(() => {
  // the monitor records whole timer intervals (ns): the lag is what exceeds its own resolution
  if (loopDelay.count > 0) loopLag.observe(Math.max(0, loopDelay.max / 1e9 - LAG_RESOLUTION_MS / 1000));
  loopDelay.reset();
}, LAG_WINDOW_MS).unref();

export function registerMetrics(app: FastifyInstance, component: string): void {
  // one child per label set, looked up by a plain string: prom-client hashes a label object on every call,
  // a cost on every request that showed in read benchmarks
  const counters = new Map<string, { inc(): void }>();
  const timers = new Map<string, { observe(value: number): void }>();
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    if (route === '/metrics') return;
    const status = String(reply.statusCode);
    const key = `${req.method} ${status} ${route}`;
    let counter = counters.get(key);
    if (!counter) counters.set(key, (counter = requests.labels({ component, method: req.method, route, status })));
    counter.inc();
    let timer = timers.get(route);
    if (!timer) timers.set(route, (timer = durations.labels({ component, route })));
    timer.observe(reply.elapsedTime / 1000);
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

// what roles recorded before this module was loaded (metrics-sink.ts), and all they record from now on
{
  const counters = new Map<string, { inc(): void }>();
  const timers = new Map<string, { observe(value: number): void }>();
  attachMetricsSink({
    request(component, method, route, status, seconds) {
      const key = `${component} ${method} ${status} ${route}`;
      let counter = counters.get(key);
      if (!counter) counters.set(key, (counter = requests.labels({ component, method, route, status })));
      counter.inc();
      const timerKey = `${component} ${route}`;
      let timer = timers.get(timerKey);
      if (!timer) timers.set(timerKey, (timer = durations.labels({ component, route })));
      timer.observe(seconds);
    },
    gauge: scrapeGauge,
  });
}
