/**
 * Reading service documents, and the error for a missing one, without what writing them needs: the spec's
 * validator (TypeBox) stays out of the roles that only read, such as the agent's image collector (an idle
 * agent loads no schema builder: agent-lazy-load.test).
 */
import type { Store } from '../store/store.js';
import { PazError } from '../core/errors.js';
import { keys } from '../core/keys.js';
import type { ServiceDoc } from '../core/service-spec.js';
import { getJson, rangeJson } from '../store/json.js';

export function serviceNotFound(name: string): PazError {
  return new PazError('SERVICE_NOT_FOUND', `no service named "${name}": create it with POST /services, or list services with GET /services`, { name });
}

export async function listServices(store: Store): Promise<ServiceDoc[]> {
  return (await rangeJson<ServiceDoc>(store, keys.servicesPrefix())).entries.map((r) => r.value);
}

export function findService(store: Store, name: string): Promise<ServiceDoc | undefined> {
  return getJson<ServiceDoc>(store, keys.service(name));
}
