/** Loading the Services list's rows: GET /services, then each service's rollout (none before its first deploy). */
import { api, ApiError, type Answer } from '../api/client';
import { serviceRows, type RolloutDoc, type ServiceDoc, type ServiceRow } from './service-rows';

async function rolloutOf(name: string): Promise<RolloutDoc | undefined> {
  try {
    return (await api.get<RolloutDoc>(`/services/${encodeURIComponent(name)}/rollout`)).doc;
  } catch (e) {
    // NOT_DEPLOYED (and a service deleted meanwhile): no rollout to show
    if (e instanceof ApiError && e.status === 404) return undefined;
    throw e;
  }
}

export async function loadServiceRows(): Promise<Answer<ServiceRow[]>> {
  const { doc: services, revision } = await api.get<ServiceDoc[]>('/services');
  const rollouts = await Promise.all(services.map(async (s) => [s.name, await rolloutOf(s.name)] as const));
  return { doc: serviceRows(services, new Map(rollouts)), revision };
}
