/**
 * The process's desired-unit events, handed to each host only when they concern it. Every simulated or real
 * agent of a process (one in `paz agent`, a thousand in the scheduling bench's workers) follows its own
 * units (host-units-view.ts) from the one shared watch; each of them used to test every event of the whole
 * cluster, so a 10,000-unit deploy on 1,000 hosts was 10,000,000 substring tests on ~500-byte values. Here
 * each event is parsed once and goes to the host it names now and to the hosts whose views hold the unit
 * (they told the router, `held`/`dropped`): a unit placed elsewhere, unplaced or deleted reaches the view that
 * must let it go.
 *
 * The router parses each put's value once and hands the parsed unit on with the event (UnitEvent), so the
 * views it goes to do not parse it again.
 *
 * Not from the event's previous value: etcd reads each previous value from its backend, per event and per
 * watcher, and every agent of a cluster watches the desired units. A host whose view is still reading
 * (joined, not yet `synced`) hears every event, since it cannot yet say what it holds.
 */
import type { Store, Watch, WatchEvent } from '../store/store.js';
import { keys } from '../core/keys.js';
import { sharedWatch } from './store-loop.js';

/** A desired-unit event as the router hands it on: a put whose value is a JSON object carries it parsed, once for every view it goes to (so read-only). */
export type UnitEvent = WatchEvent & { unit?: { readonly host?: unknown } };

/** A stored unit value parsed, or 'unreadable' when it is not a JSON object (the views report that themselves). */
export function parseUnit(raw: string): { readonly host?: unknown } | 'unreadable' {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return 'unreadable';
  }
  return typeof v === 'object' && v !== null ? v : 'unreadable';
}

type Listener = (events: UnitEvent[]) => void;

export interface RouteMember {
  hostId: string;
  listener: Listener;
  onError: (err: Error) => void;
  /** still reading the store: it hears everything until it says what it holds */
  syncing: boolean;
  /** the keys this member's view holds */
  holds: Set<string>;
}

/**
 * Who hears which event: the members of the host a put names, the members holding the key, and every member
 * still syncing; a value that is not a unit's JSON goes to everyone (each view reports it itself).
 * Pure over the membership, for the tests; returns the batch for each member, in store order, each readable
 * put with its value parsed (the same object for every member).
 */
export function routeEvents(events: WatchEvent[], members: Iterable<RouteMember>, holders: ReadonlyMap<string, ReadonlySet<RouteMember>>, byHost: ReadonlyMap<string, ReadonlySet<RouteMember>>): Map<RouteMember, UnitEvent[]> {
  const out = new Map<RouteMember, UnitEvent[]>();
  const give = (m: RouteMember, e: UnitEvent) => {
    const list = out.get(m);
    if (list) list.push(e);
    else out.set(m, [e]);
  };
  const all = [...members];
  const syncing = all.filter((m) => m.syncing);
  for (const event of events) {
    const unit = event.type === 'put' ? parseUnit(event.value) : undefined;
    if (unit === 'unreadable') {
      for (const m of all) give(m, event);
      continue;
    }
    const e: UnitEvent = unit ? { ...event, unit } : event;
    const now = typeof unit?.host === 'string' ? unit.host : undefined;
    const to = new Set<RouteMember>(syncing);
    for (const m of holders.get(e.key) ?? []) to.add(m);
    if (now) for (const m of byHost.get(now) ?? []) to.add(m);
    for (const m of to) give(m, e);
  }
  return out;
}

/** What a host's view tells the router about itself (see hostUnitEvents). */
export interface HostUnitEvents extends Watch {
  /** the view keeps this unit now: it hears of every later change to it, wherever that places it */
  held(key: string): void;
  /** the view let the unit go */
  dropped(key: string): void;
  /** the view has read the store and told what it holds: from now on it hears only what concerns it */
  synced(): void;
}

interface Router {
  watch: Promise<Watch>;
  members: Set<RouteMember>;
  byHost: Map<string, Set<RouteMember>>;
  holders: Map<string, Set<RouteMember>>;
}

const routers = new WeakMap<Store, Router>();

/**
 * Listens to the desired-unit events that concern `hostId`, from the process's one shared watch of them
 * (same contract as sharedWatch: events from the moment this resolves; cancel() leaves it). Until `synced()`
 * the member hears every event; after it, the puts that place a unit on `hostId` and every event of a key it
 * said it `held`.
 */
export async function hostUnitEvents(store: Store, hostId: string, listener: Listener, onError: (err: Error) => void): Promise<HostUnitEvents> {
  let router = routers.get(store);
  if (!router) {
    const created: Router = { members: new Set(), byHost: new Map(), holders: new Map(), watch: undefined as unknown as Promise<Watch> };
    const route = (events: WatchEvent[]) => {
      for (const [m, list] of routeEvents(events, created.members, created.holders, created.byHost)) m.listener(list);
    };
    routers.set(store, created);
    created.watch = sharedWatch(store, keys.desiredUnitsPrefix(), route, (err) => {
      // a dead watch is dropped, so the next view to read again opens a new one
      if (routers.get(store) === created) routers.delete(store);
      for (const m of created.members) m.onError(err);
    });
    created.watch.catch(() => {
      if (routers.get(store) === created) routers.delete(store);
    });
    router = created;
  }
  const r = router;
  const member: RouteMember = { hostId, listener, onError, syncing: true, holds: new Set() };
  r.members.add(member);
  let set = r.byHost.get(hostId);
  if (!set) r.byHost.set(hostId, (set = new Set()));
  set.add(member);
  const drop = (key: string) => {
    if (!member.holds.delete(key)) return;
    const holders = r.holders.get(key);
    holders?.delete(member);
    if (holders?.size === 0) r.holders.delete(key);
  };
  const leave = () => {
    r.members.delete(member);
    for (const key of [...member.holds]) drop(key);
    const s = r.byHost.get(hostId);
    s?.delete(member);
    if (s && s.size === 0) r.byHost.delete(hostId);
  };
  try {
    await r.watch;
  } catch (err) {
    leave();
    throw err;
  }
  return {
    held(key) {
      if (member.holds.has(key) || !r.members.has(member)) return;
      member.holds.add(key);
      let holders = r.holders.get(key);
      if (!holders) r.holders.set(key, (holders = new Set()));
      holders.add(member);
    },
    dropped: drop,
    synced() {
      member.syncing = false;
    },
    cancel: async () => {
      leave();
      if (r.members.size > 0) return;
      if (routers.get(store) === r) routers.delete(store);
      await (await r.watch).cancel();
    },
  };
}
