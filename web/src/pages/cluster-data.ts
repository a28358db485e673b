/**
 * Loading for the cluster pages. Stats are asked only of healthy hosts (a down host's agent does not
 * answer, and the browser would log the 502); GET /cluster/load-balancers answers for every host, with
 * `router: null` and the reason where a router could not be read.
 */
import { api } from '../api/client';
import type { Host } from '../../../src/api/answer-types.js';
import type { HostStatsDoc, LoadBalancerDoc } from './cluster-docs';

export const enc = encodeURIComponent;

export async function hostStatsOf(hosts: Host[]): Promise<Record<string, HostStatsDoc>> {
  const pairs = await Promise.all(
    hosts.filter((h) => h.healthy).map(async (h) => [h.ID, (await api.get<HostStatsDoc>(`/cluster/hosts/${enc(h.ID)}/stats`).catch(() => ({ doc: undefined }))).doc] as const),
  );
  return Object.fromEntries(pairs.filter(([, s]) => s !== undefined)) as Record<string, HostStatsDoc>;
}

export async function loadBalancers(): Promise<LoadBalancerDoc[]> {
  return (await api.get<LoadBalancerDoc[]>('/cluster/load-balancers')).doc;
}
