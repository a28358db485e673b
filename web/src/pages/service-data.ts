/**
 * Loading the Services list's rows: GET /services, then each deployed service's rollout. A service never
 * deployed has no rollout (404 NOT_DEPLOYED, which the browser would log as an error), so the rollout is
 * asked only of services that have units (GET /cluster/units) or, for the few without (never deployed,
 * scaled to 0), whose GET /services/:name/versions lists a deploy.
 */
import { api, ApiError, type Answer } from '../api/client';
import type { Rollout, Service, Unit, Version } from '../../../src/api/answer-types';
import { oldestRevision } from '../live/follow';
import { serviceRows, type ServiceRow } from './service-rows';

const enc = encodeURIComponent;

async function rolloutOf(name: string, hasUnits: boolean): Promise<Rollout | undefined> {
  try {
    if (!hasUnits && (await api.get<Version[]>(`/services/${enc(name)}/versions`)).doc.length === 0) return undefined;
    return (await api.get<Rollout>(`/services/${enc(name)}/rollout`)).doc;
  } catch (e) {
    // deleted between the list and this read: nothing to show
    if (e instanceof ApiError && e.status === 404) return undefined;
    throw e;
  }
}

export async function loadServiceRows(): Promise<Answer<ServiceRow[]>> {
  const [{ doc: services, revision: servicesAt }, { doc: units, revision: unitsAt }] = await Promise.all([api.get<Service[]>('/services'), api.get<Unit[]>('/cluster/units')]);
  const withUnits = new Set(units.map((u) => u.service));
  const rollouts = await Promise.all(services.map(async (s) => [s.name, await rolloutOf(s.name, withUnits.has(s.name))] as const));
  // the rollouts are read after these two: they hold at least what these do
  return { doc: serviceRows(services, new Map(rollouts)), revision: oldestRevision(servicesAt, unitsAt) };
}
