/**
 * Loading the Service and History pages: the service (its config is "next"), its versions with their
 * outcomes, and, once it has been deployed, the serving config ("last") and the rollout. Before the first
 * deploy those two answer 404, which the browser would log, so they are not asked then.
 */
import { api, type Answer } from '../api/client';
import type { Rollout } from './rollout-view';

const enc = encodeURIComponent;

export interface ServiceDocument {
  name: string;
  description?: string;
  dockerRepository: string;
  config: Record<string, unknown>;
}

export interface VersionRecord {
  version: number;
  timestamp: number;
  image: string;
  digest?: string;
  dockerRepository: string;
  config: Record<string, unknown>;
  trigger: { source: string; tag?: string; actor?: string; rollbackOf?: number };
  outcome?: { state: string; reason?: string; startedAt?: number; finishedAt?: number };
}

export interface ServicePageData {
  service: ServiceDocument;
  versions: VersionRecord[];
  last?: Record<string, unknown>;
  rollout?: Rollout;
}

export async function loadServicePage(name: string): Promise<Answer<ServicePageData>> {
  const [{ doc: service, revision }, { doc: versions }] = await Promise.all([api.get<ServiceDocument>(`/services/${enc(name)}`), api.get<VersionRecord[]>(`/services/${enc(name)}/versions`)]);
  if (versions.length === 0) return { doc: { service, versions }, revision };
  const [{ doc: last }, { doc: rollout }] = await Promise.all([api.get<Record<string, unknown>>(`/services/${enc(name)}/config/last`), api.get<Rollout>(`/services/${enc(name)}/rollout`)]);
  return { doc: { service, versions, last, rollout }, revision };
}

/** Whether a live event is about this service (its config, units or deploys). */
export function aboutService(name: string) {
  return (e: { event: string; data: unknown }): boolean => {
    if (!(e.event.startsWith('service.') || e.event.startsWith('unit.') || e.event === 'journal')) return false;
    const text = typeof e.data === 'string' ? e.data : JSON.stringify(e.data ?? '');
    // events name their service in their data (the service name, a unit name `<name>-<v>-<i>`, a journal entry)
    return text.includes(name);
  };
}
