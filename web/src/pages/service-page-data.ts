/**
 * Loading the Service and History pages: the service (its config is "next"), its versions with their
 * outcomes, and, once it has been deployed, the serving config ("last") and the rollout. Before the first
 * deploy those two answer 404, which the browser would log, so they are not asked then.
 */
import { api, type Answer } from '../api/client';
import type { Rollout, Service, ServiceConfig, Version } from '../../../src/api/answer-types';
import { oldestRevision } from '../live/follow';

const enc = encodeURIComponent;

export interface ServicePageData {
  service: Service;
  versions: Version[];
  last?: ServiceConfig;
  rollout?: Rollout;
}

export async function loadServicePage(name: string): Promise<Answer<ServicePageData>> {
  const [{ doc: service, revision: serviceAt }, { doc: versions, revision: versionsAt }] = await Promise.all([api.get<Service>(`/services/${enc(name)}`), api.get<Version[]>(`/services/${enc(name)}/versions`)]);
  const revision = oldestRevision(serviceAt, versionsAt);
  if (versions.length === 0) return { doc: { service, versions }, revision };
  const [{ doc: last, revision: lastAt }, { doc: rollout, revision: rolloutAt }] = await Promise.all([api.get<ServiceConfig>(`/services/${enc(name)}/config/last`), api.get<Rollout>(`/services/${enc(name)}/rollout`)]);
  // config/last with nothing serving (every deploy failed) is the last deployed config, which does not serve:
  // shown as "Serving" it would be a config that runs nowhere
  return { doc: { service, versions, ...(rollout.serving ? { last } : {}), rollout }, revision: oldestRevision(revision, lastAt, rolloutAt) };
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
