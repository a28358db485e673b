/**
 * What the Hosts pages show of a host: capacity against usage (from its agent's stats) and its router's
 * state (from GET /cluster/load-balancers), in words and numbers. Pure.
 */
import type { Host } from '../../../src/api/answer-types.js';
import type { HostStatsSample, LoadBalancerDoc } from './cluster-docs.js';
import { formatBytes } from '../../../src/core/byte-size.js';

export { formatBytes };

export interface Usage {
  /** cores busy of cores, and the share 0..100 */
  cpu?: { busy: number; cores: number; percent: number };
  memory?: { usedBytes: number; totalBytes: number; percent: number };
}

export function usageOf(latest: HostStatsSample | null | undefined): Usage {
  if (!latest) return {};
  const pct = (part: number, whole: number) => (whole > 0 ? Math.min(100, Math.round((part / whole) * 1000) / 10) : 0);
  return {
    cpu: { busy: latest.cpu.coresBusy, cores: latest.cpu.cores, percent: pct(latest.cpu.busyFraction, 1) },
    memory: { usedBytes: latest.memory.usedBytes, totalBytes: latest.memory.totalBytes, percent: pct(latest.memory.usedBytes, latest.memory.totalBytes) },
  };
}

/** Capacity as the host announced it: cores and memory (TotalResources.Memory is MiB). */
export function capacityText(h: Pick<Host, 'TotalResources'>): string {
  return `${h.TotalResources.Cores} cores, ${formatBytes(h.TotalResources.Memory * 1024 * 1024)}`;
}

export interface RouterState {
  state: 'running' | 'down' | 'unknown';
  /** what to show beside the state */
  detail: string;
  /** routed services, with how many of their instances are UP */
  services: Array<{ name: string; status: string; up: number; servers: number; requests: number }>;
}

export function routerStateOf(lb: LoadBalancerDoc | undefined): RouterState {
  if (!lb) return { state: 'unknown', detail: 'not reported yet', services: [] };
  if (!lb.router) return { state: 'down', detail: lb.error ?? 'the agent runs no router', services: [] };
  const services = lb.router.services.map((s) => ({
    name: s.name,
    status: s.status,
    up: s.servers.filter((x) => x.status === 'UP').length,
    servers: s.servers.length,
    requests: s.totalRequests,
  }));
  const n = services.length;
  return { state: 'running', detail: `${n} service${n === 1 ? '' : 's'} routed, ${lb.router.frontend.totalRequests} requests, ${lb.router.frontend.currentSessions} open`, services };
}

/** Labels as `key=value`, sorted by key. */
export function labelList(metadata: Record<string, string> | undefined): string[] {
  return Object.entries(metadata ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
}
