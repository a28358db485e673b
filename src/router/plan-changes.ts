/**
 * Plans how to move HAProxy from the layout it holds to a new RouteTable (pure).
 *
 * Rules:
 * - a server keeps its slot for as long as it is in the table (stable assignment: no churn of
 *   connections, stats or health state when other servers come and go);
 * - a server that disappears leaves its slot in `maint` (a draining server keeps its slot in `drain`
 *   until it disappears from the table);
 * - new servers take the lowest free slot, preferring slots that were already free over slots freed by
 *   this same change (so a slot is not reused while its previous occupant may still finish requests);
 * - a reload is needed only when the set of backends changes, a backend runs out of slots, a backend's
 *   health check changes (it is configuration), or the Host routing (domain, default service, a service's
 *   public-facing flag) changes. On a reload, slot counts are recomputed (they may
 *   grow or shrink) but occupied slots keep their index.
 */
import { DEFAULT_ROUTE_CHECK, serverWeight, type RouteCheck, type RouteServer, type RouteTable } from './route-table.js';
import {
  backendName,
  capacityFor,
  occupiedCount,
  slotServerName,
  type BackendLayout,
  type RouterLayout,
  type SlotOccupant,
} from './router-layout.js';

export type SlotAction =
  | { kind: 'set-addr'; backend: string; server: string; address: string; port: number }
  | { kind: 'set-weight'; backend: string; server: string; weight: number }
  | { kind: 'set-state'; backend: string; server: string; state: 'ready' | 'drain' | 'maint' };

export interface ChangePlan {
  next: RouterLayout;
  /** true when HAProxy must load a new configuration; `actions` is then empty (the config says it all) */
  reload: boolean;
  /** why a reload is needed, for logs */
  reloadReasons: string[];
  /** runtime API commands that move HAProxy to `next` without a reload, in order */
  actions: SlotAction[];
  /** slots that received a new occupant (their counters start from here) */
  assignedSlots: Array<{ service: string; slot: number }>;
}

function occupantOf(server: RouteServer): SlotOccupant {
  return {
    server: server.name,
    address: server.address,
    port: server.port,
    weight: serverWeight(server),
    state: server.state,
  };
}

function highestOccupiedIndex(slots: Array<SlotOccupant | null>): number {
  for (let i = slots.length - 1; i >= 0; i--) if (slots[i]) return i;
  return -1;
}

/** Commands that put a new occupant into a (free, in maintenance) slot. */
function assignActions(backend: string, slot: number, occupant: SlotOccupant): SlotAction[] {
  const server = slotServerName(slot);
  return [
    { kind: 'set-addr', backend, server, address: occupant.address, port: occupant.port },
    { kind: 'set-weight', backend, server, weight: occupant.weight },
    { kind: 'set-state', backend, server, state: occupant.state },
  ];
}

/** Commands that turn a slot's occupant `before` into `after` (the same server). */
function updateActions(backend: string, slot: number, before: SlotOccupant, after: SlotOccupant): SlotAction[] {
  const server = slotServerName(slot);
  const actions: SlotAction[] = [];
  if (before.address !== after.address || before.port !== after.port) {
    actions.push({ kind: 'set-addr', backend, server, address: after.address, port: after.port });
  }
  if (before.weight !== after.weight) actions.push({ kind: 'set-weight', backend, server, weight: after.weight });
  if (before.state !== after.state) actions.push({ kind: 'set-state', backend, server, state: after.state });
  return actions;
}

interface BackendPlan {
  backend: BackendLayout;
  /** slots to put in maintenance first */
  freeing: SlotAction[];
  /** then updates and assignments */
  changes: SlotAction[];
  assigned: number[];
  /** set when the backend does not fit its slots */
  overflow?: string;
}

function planBackend(previous: BackendLayout, servers: RouteServer[], check: RouteCheck): BackendPlan {
  const name = backendName(previous.service);
  const wanted = new Map(servers.map((s) => [s.name, s]));
  const slots: Array<SlotOccupant | null> = previous.slots.map(() => null);
  const freeing: SlotAction[] = [];
  const changes: SlotAction[] = [];
  const placed = new Set<string>();

  previous.slots.forEach((occupant, index) => {
    if (!occupant) return;
    const desired = wanted.get(occupant.server);
    if (desired) {
      const next = occupantOf(desired);
      slots[index] = next;
      placed.add(desired.name);
      changes.push(...updateActions(name, index, occupant, next));
    } else {
      freeing.push({ kind: 'set-state', backend: name, server: slotServerName(index), state: 'maint' });
    }
  });

  const newcomers = servers.filter((s) => !placed.has(s.name));
  const wasFree = (i: number) => previous.slots[i] === null;
  const freeSlots = slots
    .map((slot, index) => (slot === null ? index : -1))
    .filter((index) => index >= 0)
    .sort((a, b) => Number(wasFree(b)) - Number(wasFree(a)) || a - b);

  let overflow: string | undefined;
  if (newcomers.length > freeSlots.length) {
    const needed = placed.size + newcomers.length;
    overflow = `backend ${name} needs ${needed} slots and has ${slots.length}`;
    const capacity = capacityFor(needed);
    while (slots.length < capacity) {
      freeSlots.push(slots.length);
      slots.push(null);
    }
  }
  const assigned: number[] = [];
  newcomers.forEach((server, i) => {
    const index = freeSlots[i];
    const occupant = occupantOf(server);
    slots[index] = occupant;
    assigned.push(index);
    changes.push(...assignActions(name, index, occupant));
  });
  return { backend: { service: previous.service, check, slots }, freeing, changes, assigned, overflow };
}

/** On a reload slot counts are free to change: fit them to the servers, never below an occupied index. */
function resizeForReload(backend: BackendLayout): BackendLayout {
  const capacity = Math.max(capacityFor(occupiedCount(backend)), highestOccupiedIndex(backend.slots) + 1);
  let target = capacityFor(0);
  while (target < capacity) target *= 2;
  const slots = backend.slots.slice(0, target);
  while (slots.length < target) slots.push(null);
  return { ...backend, slots };
}

function sameCheck(a: RouteCheck, b: RouteCheck): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function planChanges(current: RouterLayout, table: RouteTable): ChangePlan {
  const reloadReasons: string[] = [];
  if (current.domain !== table.domain) reloadReasons.push(`domain changes from ${current.domain} to ${table.domain}`);
  if (current.defaultService !== table.defaultService) {
    reloadReasons.push(`default service changes from ${current.defaultService ?? '(none)'} to ${table.defaultService ?? '(none)'}`);
  }
  const previousByService = new Map(current.backends.map((b) => [b.service, b]));
  const desiredNames = new Set(table.services.map((s) => s.name));
  for (const backend of current.backends) {
    if (!desiredNames.has(backend.service)) reloadReasons.push(`service ${backend.service} removed`);
  }

  const freeing: SlotAction[] = [];
  const changes: SlotAction[] = [];
  const assignedSlots: ChangePlan['assignedSlots'] = [];
  const backends: BackendLayout[] = [];
  const services = [...table.services].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const service of services) {
    const previous = previousByService.get(service.name);
    if (!previous) reloadReasons.push(`service ${service.name} added`);
    const check = service.check ?? DEFAULT_ROUTE_CHECK;
    if (previous && !sameCheck(previous.check ?? DEFAULT_ROUTE_CHECK, check)) reloadReasons.push(`health check of ${service.name} changes`);
    const start: BackendLayout = previous ?? { service: service.name, check, slots: new Array(capacityFor(service.servers.length)).fill(null) };
    const plan = planBackend(start, service.servers, check);
    if (plan.overflow) reloadReasons.push(plan.overflow);
    const publicFacing = service.publicFacing ?? true;
    if (previous && (previous.publicFacing ?? true) !== publicFacing) reloadReasons.push(`service ${service.name} ${publicFacing ? 'becomes' : 'is no longer'} public-facing`);
    backends.push(publicFacing ? plan.backend : { ...plan.backend, publicFacing: false });
    freeing.push(...plan.freeing);
    changes.push(...plan.changes);
    assignedSlots.push(...plan.assigned.map((slot) => ({ service: service.name, slot })));
  }

  const reload = reloadReasons.length > 0;
  const next: RouterLayout = {
    domain: table.domain,
    ...(table.defaultService !== undefined ? { defaultService: table.defaultService } : {}),
    backends: reload ? backends.map(resizeForReload) : backends,
  };
  return { next, reload, reloadReasons, actions: reload ? [] : [...freeing, ...changes], assignedSlots };
}

/**
 * Commands to run right after HAProxy (re)started from a rendered layout: a configuration cannot say
 * "drain", so draining servers are rendered with weight 0 (no new requests from the first moment) and
 * here put into HAProxy's DRAIN state with their real weight, so that stats and a later `ready` are right.
 */
export function actionsAfterStart(layout: RouterLayout): SlotAction[] {
  const actions: SlotAction[] = [];
  for (const backend of layout.backends) {
    const name = backendName(backend.service);
    backend.slots.forEach((occupant, index) => {
      if (occupant?.state !== 'drain') return;
      const server = slotServerName(index);
      actions.push({ kind: 'set-state', backend: name, server, state: 'drain' });
      actions.push({ kind: 'set-weight', backend: name, server, weight: occupant.weight });
    });
  }
  return actions;
}
