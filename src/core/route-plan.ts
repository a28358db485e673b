/**
 * What a host's router should route, from what the store says: every announced (healthy) instance of
 * every service, the draining ones marked so, and the host's default service (a unit on this host that
 * asked for the router's port, like the seed's contrived service on port 80). Pure.
 *
 * Every routed service answers on `<svc>.paz`; only public-facing ones (`publicFacing`) on
 * `<svc>.<domain>` too. A service with `loadBalanced: false` gets no backend at all (a 404 on the router,
 * never the default service): clients reach its instances on their own published ports. The flags come
 * from the desired units of the service's newest version (copied from its config at deploy time).
 */
import type { DesiredUnit } from './records.js';
import { parseEndpointKey } from './keys.js';
import { unitName } from './unit-name.js';

export interface PlannedServer {
  name: string;
  address: string;
  port: number;
  state: 'ready' | 'drain';
}

export interface PlannedRoutes {
  domain: string;
  services: Array<{ name: string; servers: PlannedServer[]; publicFacing: boolean }>;
  defaultService?: string;
}

export function planRoutes(input: {
  endpoints: Array<{ key: string; value: string }>;
  desired: DesiredUnit[];
  domain: string;
  hostId: string;
  routerPort: number;
}): PlannedRoutes {
  const desiredByUnit = new Map(input.desired.map((d) => [d.unit, d]));
  // each service's routing flags, from its newest version's units (older units lack them: routed, public)
  const newest = new Map<string, DesiredUnit>();
  for (const d of input.desired) if ((newest.get(d.service)?.version ?? 0) < d.version) newest.set(d.service, d);
  const loadBalanced = (service: string) => newest.get(service)?.loadBalanced !== false;
  const publicFacing = (service: string) => newest.get(service)?.publicFacing !== false;
  const services = new Map<string, PlannedServer[]>();
  for (const { key, value } of input.endpoints) {
    const id = parseEndpointKey(key);
    if (!id || !loadBalanced(id.service)) continue;
    const m = /^(.+):(\d+)$/.exec(value);
    if (!m) continue;
    const name = unitName(id.service, id.version, id.instance);
    const d = desiredByUnit.get(name);
    // an endpoint whose unit is no longer desired is about to be withdrawn: let it finish, send nothing new
    const state = !d || d.drainingSince !== undefined ? 'drain' : 'ready';
    const list = services.get(id.service) ?? [];
    list.push({ name, address: m[1], port: Number(m[2]), state });
    services.set(id.service, list);
  }
  // services with desired units but nothing healthy yet still get a backend (503 naming them, not 404)
  for (const d of input.desired) if (!services.has(d.service) && loadBalanced(d.service)) services.set(d.service, []);
  const defaultService = input.desired
    .filter((d) => d.host === input.hostId && d.drainingSince === undefined && loadBalanced(d.service) && d.spec.ports.some((p) => p.host === input.routerPort && (p.protocol ?? 'tcp') === 'tcp'))
    .sort((a, b) => b.version - a.version)[0]?.service;
  const out: PlannedRoutes = {
    domain: input.domain,
    services: [...services.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, servers]) => ({ name, servers: servers.sort((x, y) => x.name.localeCompare(y.name)), publicFacing: publicFacing(name) })),
  };
  if (defaultService) out.defaultService = defaultService;
  return out;
}
