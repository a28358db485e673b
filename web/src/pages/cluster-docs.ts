/**
 * The shapes of the cluster answers the Hosts and Monitoring pages read that src/api/answer-types.ts does
 * not describe (yet): the agents' stats (src/agent/agent-api.ts) and the routers' (src/router/router-stats.ts),
 * as the browser sees them. Hosts and units are answer-types' Host and Unit. Types only.
 */
import type { RouterStats } from '../../../src/router/router-stats.js';

export interface HostStatsSample {
  at: string;
  cpu: { busyFraction: number; coresBusy: number; cores: number };
  memory: { totalBytes: number; availableBytes: number; usedBytes: number };
}

export interface HostStatsDoc {
  host: string;
  latest: HostStatsSample | null;
  history: HostStatsSample[];
}

export interface UnitStatsSample {
  cpu: number;
  memoryBytes: number;
  memoryLimitBytes?: number;
  at: string;
}

export interface ServiceStatsDoc {
  service: string;
  totals: { cpu: number; memoryBytes: number };
  units: Record<string, { latest: UnitStatsSample | null; history: UnitStatsSample[] } | { error: string }>;
}

/** A router's numbers, as the agent reads them from HAProxy (the server's own type; a type-only import). */
export type RouterStatsDoc = RouterStats;

/** One entry of GET /cluster/load-balancers: a host's router, or why it could not be read. */
export interface LoadBalancerDoc {
  host: string;
  router: RouterStatsDoc | null;
  error?: string;
}
