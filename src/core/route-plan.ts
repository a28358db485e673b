/**
 * What a host's router should route, from what the store says: every announced (healthy) instance of
 * every service, the draining ones marked so, and the host's default service (a unit on this host that
 * asked for the router's port, like the seed's contrived service on port 80), and how the router itself
 * checks each service's servers (`check`: HTTP, so that Docker's userland proxy cannot fake it). Pure.
 *
 * Every routed service answers on `<svc>.paz`; only public-facing ones (`publicFacing`) on
 * `<svc>.<domain>` too. A service with `loadBalanced: false` gets no backend at all (a 404 on the router,
 * never the default service): clients reach its instances on their own published ports. The flags come
 * from the desired units of the service's newest version (copied from its config at deploy time).
 */
import { isIP } from 'node:net';
import type { DesiredUnit, UnitRunSpec } from './records.js';
import { parseEndpointKey } from './keys.js';
import { unitName } from './unit-name.js';
import { checkType } from './probe-choice.js';

export interface PlannedServer {
  name: string;
  address: string;
  port: number;
  state: 'ready' | 'drain';
}

/** The router's check of a service's servers: HTTP (2xx for a configured path, else any answer below 500) or TCP. */
export type PlannedCheck = { type: 'http'; path: string; expect: '2xx' | 'answer' } | { type: 'tcp' };

export interface PlannedRoutes {
  domain: string;
  services: Array<{ name: string; servers: PlannedServer[]; publicFacing: boolean; check: PlannedCheck }>;
  defaultService?: string;
  /** endpoints left out because their address is not an IP literal (HAProxy's runtime API takes only IPs), as `unit address` */
  unroutable?: string[];
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
  const unroutable: string[] = [];
  for (const { key, value } of input.endpoints) {
    const id = parseEndpointKey(key);
    if (!id || !loadBalanced(id.service)) continue;
    const m = /^(.+):(\d+)$/.exec(value);
    if (!m) continue;
    const name = unitName(id.service, id.version, id.instance);
    // A host name here (an agent older than its resolving --address) would make the whole table invalid and
    // freeze every route on this host: that one instance is left out instead, and said so.
    if (isIP(m[1]) === 0) {
      unroutable.push(`${name} ${m[1]}`);
      continue;
    }
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
    services: [...services.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, servers]) => ({ name, servers: servers.sort((x, y) => x.name.localeCompare(y.name)), publicFacing: publicFacing(name), check: serviceCheck(input.desired.filter((d) => d.service === name)) })),
  };
  if (defaultService) out.defaultService = defaultService;
  if (unroutable.length > 0) out.unroutable = unroutable;
  return out;
}

/** The agent's own probe, as the router can run it; routed services are load-balanced, so HTTP by default. */
export function checkOf(spec: Pick<UnitRunSpec, 'healthCheck'>): PlannedCheck {
  if (checkType(spec.healthCheck, true) === 'tcp') return { type: 'tcp' };
  const path = spec.healthCheck?.path;
  return path !== undefined ? { type: 'http', path, expect: '2xx' } : { type: 'http', path: '/', expect: 'answer' };
}

/**
 * One check per backend (HAProxy checks per backend, not per server). The versions that serve (not
 * draining) decide; when they disagree (a deploy changes the check), the weakest one all of them pass:
 * an HTTP answer on `/`, or TCP when any of them is TCP-only, so no version is taken out for the other's path.
 */
function serviceCheck(units: DesiredUnit[]): PlannedCheck {
  const serving = units.filter((d) => d.drainingSince === undefined);
  const checks = (serving.length > 0 ? serving : units).map((d) => checkOf(d.spec));
  const keys = new Set(checks.map((c) => JSON.stringify(c)));
  if (keys.size === 1) return checks[0];
  if (checks.some((c) => c.type === 'tcp')) return { type: 'tcp' };
  return { type: 'http', path: '/', expect: 'answer' };
}
