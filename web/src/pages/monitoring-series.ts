/**
 * The Monitoring page's chart data from the stats routes: per host CPU and memory over time (the agent's
 * history), per service CPU and memory summed over its units, and request rates from the routers'
 * cumulative request counters, sampled by the page. uPlot takes columns: [times (s), series…]. Pure.
 */
import type { HostStatsSample, LoadBalancerDoc, ServiceStatsDoc } from './cluster-docs.js';

export type Columns = [number[], ...Array<Array<number | null>>];

const seconds = (iso: string) => Math.round(Date.parse(iso) / 1000);

/** [time, CPU % of all cores, memory % used] of a host's history. */
export function hostColumns(history: HostStatsSample[]): Columns {
  const t: number[] = [];
  const cpu: number[] = [];
  const mem: number[] = [];
  for (const s of history) {
    t.push(seconds(s.at));
    cpu.push(Math.round(s.cpu.busyFraction * 1000) / 10);
    mem.push(s.memory.totalBytes > 0 ? Math.round((s.memory.usedBytes / s.memory.totalBytes) * 1000) / 10 : 0);
  }
  return [t, cpu, mem];
}

/**
 * [time, CPU % of one core, memory MiB] of a service: its units' samples summed per sampling instant.
 * Units are sampled together every few seconds, so samples within `bucketSeconds` are one instant.
 */
export function serviceColumns(stats: ServiceStatsDoc, bucketSeconds = 5): Columns {
  const sums = new Map<number, { cpu: number; mem: number }>();
  for (const u of Object.values(stats.units)) {
    if ('error' in u) continue;
    for (const s of u.history) {
      const b = Math.floor(seconds(s.at) / bucketSeconds) * bucketSeconds;
      const acc = sums.get(b) ?? { cpu: 0, mem: 0 };
      acc.cpu += s.cpu;
      acc.mem += s.memoryBytes;
      sums.set(b, acc);
    }
  }
  const times = [...sums.keys()].sort((a, b) => a - b);
  return [times, times.map((t) => Math.round(sums.get(t)!.cpu * 1000) / 10), times.map((t) => Math.round((sums.get(t)!.mem / (1024 * 1024)) * 10) / 10)];
}

/** Request counters read at one instant: per host (frontend) and per service (summed over hosts). */
export interface RequestCounts {
  at: number;
  hosts: Record<string, number>;
  services: Record<string, number>;
}

export function requestCounts(lbs: LoadBalancerDoc[], at: number): RequestCounts {
  const hosts: Record<string, number> = {};
  const services: Record<string, number> = {};
  for (const lb of lbs) {
    if (!lb.router) continue;
    hosts[lb.host] = lb.router.frontend.totalRequests;
    for (const s of lb.router.services) services[s.name] = (services[s.name] ?? 0) + s.totalRequests;
  }
  return { at, hosts, services };
}

/** Requests per second between two readings; a counter that went down was restarted (HAProxy reload): count from 0. */
export function ratesBetween(before: Record<string, number>, after: Record<string, number>, seconds: number): Record<string, number> {
  const out: Record<string, number> = {};
  if (seconds <= 0) return out;
  for (const [k, v] of Object.entries(after)) {
    const prev = before[k];
    if (prev === undefined) continue;
    const delta = v >= prev ? v - prev : v;
    out[k] = Math.round((delta / seconds) * 100) / 100;
  }
  return out;
}

/** A rolling window of request rates per key (host or service), newest last, at most `max` points. */
export interface RateHistory {
  times: number[];
  series: Record<string, Array<number | null>>;
}

export const emptyRates: RateHistory = { times: [], series: {} };

export function pushRates(h: RateHistory, atSeconds: number, rates: Record<string, number>, max = 120): RateHistory {
  const keys = new Set([...Object.keys(h.series), ...Object.keys(rates)]);
  const drop = Math.max(0, h.times.length + 1 - max);
  const series: Record<string, Array<number | null>> = {};
  for (const k of keys) {
    const old = h.series[k] ?? h.times.map(() => null);
    series[k] = [...old, rates[k] ?? null].slice(drop);
  }
  return { times: [...h.times, atSeconds].slice(drop), series };
}

/** One key's rate column: [times, rates]. */
export function rateColumns(h: RateHistory, key: string): Columns {
  return [h.times, h.series[key] ?? h.times.map(() => null)];
}
