/**
 * What a role adds to /metrics without loading prom-client itself (prom-client and its dependencies are
 * about 10 MiB of an idle agent's memory): request counts and scrape-time gauges are kept here until
 * metrics.ts is loaded (by a first scrape, by a server role in the same process, or when many requests
 * wait), then handed to it. No dependencies on purpose.
 */

export type GaugeCompute<L extends string> = (set: (labels: Partial<Record<L, string>>, value: number) => void) => Promise<void>;

export interface MetricsSink {
  request(component: string, method: string, route: string, status: string, seconds: number): void;
  gauge<L extends string>(name: string, help: string, labelNames: readonly L[], compute: GaugeCompute<L>): void;
}

/** requests kept before prom-client is loaded; past this it is loaded, so waiting costs little memory */
const MAX_PENDING_REQUESTS = 10_000;

let sink: MetricsSink | undefined;
let pendingRequests: Array<Parameters<MetricsSink['request']>> = [];
const pendingGauges: Array<Parameters<MetricsSink['gauge']>> = [];

/** metrics.ts, once: from now on everything goes straight to prom-client */
export function attachMetricsSink(s: MetricsSink): void {
  sink = s;
  for (const g of pendingGauges.splice(0)) s.gauge(...g);
  for (const r of pendingRequests) s.request(...r);
  pendingRequests = [];
}

/** loads prom-client (metrics.ts), which attaches itself */
export function loadMetrics(): Promise<typeof import('./metrics.js')> {
  return import('./metrics.js');
}

export function recordRequest(component: string, method: string, route: string, status: string, seconds: number): void {
  if (sink) return sink.request(component, method, route, status, seconds);
  pendingRequests.push([component, method, route, status, seconds]);
  if (pendingRequests.length === MAX_PENDING_REQUESTS) void loadMetrics();
}

/** A gauge computed when Prometheus scrapes, registered whenever prom-client is loaded (one per name per process). */
export function deferredGauge<L extends string>(name: string, help: string, labelNames: readonly L[], compute: GaugeCompute<L>): void {
  if (sink) return sink.gauge(name, help, labelNames, compute);
  pendingGauges.push([name, help, labelNames, compute as GaugeCompute<string>]);
}
