/**
 * The Dashboard's "needs attention" list from GET /cluster/health (and GET /cluster for units no host
 * took): hosts down or unwell, services unhealthy or degraded, deploys failing or under way, each with the
 * health verdict's reasons. Problems come before work in progress. Pure.
 */
import type { ClusterHealth, ClusterSummary } from '../../../src/api/answer-types.js';

export interface Attention {
  kind: 'cluster' | 'host' | 'service';
  /** what to show: a host's name, a service's name */
  name: string;
  /** what to link to: the host's id, the service's name */
  id: string;
  /** the verdict in a word: down, unhealthy, degraded, deploying */
  status: string;
  /** why, in sentences (the health answer's reasons) */
  reasons: string[];
  level: 'bad' | 'busy';
}

export function attentionList(health: ClusterHealth, cluster?: Pick<ClusterSummary, 'unplacedUnitCount'>): Attention[] {
  const out: Attention[] = [];
  if (health.counts.hostsUp === 0 && health.reasons.length > 0) {
    out.push({ kind: 'cluster', name: 'cluster', id: '', status: health.status, reasons: [health.reasons[0]], level: 'bad' });
  }
  for (const h of health.hosts) {
    if (h.healthy) continue;
    out.push({ kind: 'host', name: h.hostname || h.id, id: h.id, status: h.state === 'down' ? 'down' : h.status, reasons: h.reasons, level: 'bad' });
  }
  for (const s of health.services) {
    const deploying = s.deploy?.state === 'deploying';
    if (s.healthy && !deploying) continue;
    const reasons = s.reasons.length > 0 ? s.reasons : [`deploying version ${s.deploy?.version}`];
    // a deploy under way is progress unless it leaves the service unable to work
    const level = deploying && s.status !== 'unhealthy' ? 'busy' : 'bad';
    out.push({ kind: 'service', name: s.service, id: s.service, status: deploying && s.healthy ? 'deploying' : s.status, reasons, level });
  }
  if (cluster && cluster.unplacedUnitCount > 0) {
    out.push({ kind: 'cluster', name: 'cluster', id: '', status: 'degraded', reasons: [`${cluster.unplacedUnitCount} unit${cluster.unplacedUnitCount === 1 ? '' : 's'} not placed on any host`], level: 'bad' });
  }
  return out.sort((a, b) => (a.level === b.level ? 0 : a.level === 'bad' ? -1 : 1));
}
