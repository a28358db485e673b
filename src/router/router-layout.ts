/**
 * The router's own model of what HAProxy holds: per service a backend with a fixed number of server
 * slots (HAProxy `server-template`), each slot empty or holding one instance. Servers can be moved in
 * and out of slots through the runtime API; only a change of the set of backends or of a slot count
 * needs a new configuration (a reload). Pure data and helpers, no I/O.
 */
import type { RouteCheck } from './route-table.js';
export interface SlotOccupant {
  /** unit name of the instance in this slot */
  server: string;
  address: string;
  port: number;
  weight: number;
  state: 'ready' | 'drain';
}

export interface BackendLayout {
  service: string;
  /** how HAProxy checks the servers (default DEFAULT_ROUTE_CHECK); configuration, so a change needs a reload */
  check?: RouteCheck;
  /** one entry per slot (length = slot capacity); null = free slot, held in maintenance */
  slots: Array<SlotOccupant | null>;
  /** false: the backend answers on `<svc>.paz` only (RouteService.publicFacing); absent means true */
  publicFacing?: false;
}

export interface RouterLayout {
  domain: string;
  defaultService?: string;
  /** sorted by service name, so rendering is deterministic */
  backends: BackendLayout[];
}

export const MIN_SLOTS = 8;
/** HAProxy server names of the slots: `slot1`..`slotN`, as `server-template slot 1-N` creates them. */
export const SLOT_PREFIX = 'slot';
/** The HTTP frontend every request enters through. */
export const FRONTEND_NAME = 'paz-http';
/** The backend that answers unknown Hosts; it lacks the `backend-` prefix, so no service can clash with it. */
export const NO_SERVICE_BACKEND = 'paz-no-service';

export function backendName(service: string): string {
  return `backend-${service}`;
}

/** The HAProxy server name of a slot index (0-based in our arrays, 1-based in HAProxy). */
export function slotServerName(index: number): string {
  return `${SLOT_PREFIX}${index + 1}`;
}

/** The slot index of an HAProxy server name, or undefined when the name is not a slot. */
export function slotIndexOf(serverName: string): number | undefined {
  const match = /^slot([1-9][0-9]*)$/.exec(serverName);
  return match ? Number(match[1]) - 1 : undefined;
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Slots for a backend that holds `servers` instances: a power of two with room to double, at least 8. */
export function capacityFor(servers: number): number {
  return Math.max(MIN_SLOTS, nextPowerOfTwo(2 * servers));
}

export function emptyLayout(domain: string): RouterLayout {
  return { domain, backends: [] };
}

export function occupiedCount(backend: BackendLayout): number {
  return backend.slots.reduce((n, slot) => (slot ? n + 1 : n), 0);
}
