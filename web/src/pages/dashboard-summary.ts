/**
 * The Dashboard's summary from GET /cluster, /cluster/hosts and the services' rows: counts, and what needs
 * attention (hosts down, services deploying, failed or short of instances), listed first. Pure.
 */
import type { ServiceRow } from './service-rows.js';

export interface ClusterDoc {
  hostCount: number;
  healthyHostCount: number;
  unitCount: number;
  healthyUnitCount: number;
  unplacedUnitCount: number;
  serviceCount: number;
}

/** One host of GET /cluster/hosts (src/core/unit-view.ts HostView): fleet's machine fields plus Paz's. */
export interface HostDoc {
  ID: string;
  hostname: string;
  healthy: boolean;
  units?: unknown[];
}

export interface Attention {
  kind: 'host' | 'service';
  name: string;
  /** what is wrong, in words */
  what: string;
  level: 'bad' | 'busy';
}

export function attentionList(hosts: HostDoc[], services: ServiceRow[], cluster: ClusterDoc | undefined): Attention[] {
  const out: Attention[] = [];
  for (const h of hosts) if (!h.healthy) out.push({ kind: 'host', name: h.hostname || h.ID, what: 'not heartbeating', level: 'bad' });
  for (const s of services) {
    const d = s.lastDeploy;
    if (d?.state === 'failed') out.push({ kind: 'service', name: s.name, what: `deploy of version ${d.version} failed${d.reason ? `: ${d.reason}` : ''}`, level: 'bad' });
    else if (d && d.state !== 'succeeded') out.push({ kind: 'service', name: s.name, what: `deploying version ${d.version}`, level: 'busy' });
    else if (d && s.healthy < s.desired) out.push({ kind: 'service', name: s.name, what: `${s.healthy} of ${s.desired} instances healthy`, level: 'bad' });
  }
  if (cluster && cluster.unplacedUnitCount > 0) {
    out.push({ kind: 'host', name: 'cluster', what: `${cluster.unplacedUnitCount} unit(s) not placed on any host`, level: 'bad' });
  }
  return out.sort((a, b) => (a.level === b.level ? 0 : a.level === 'bad' ? -1 : 1));
}
