/**
 * The process's desired-unit events, handed to each host only when they concern it. Every simulated or real
 * agent of a process (one in `paz agent`, a thousand in the scheduling bench's workers) follows its own
 * units (host-units-view.ts) from the one shared watch; each of them used to test every event of the whole
 * cluster, so a 10,000-unit deploy on 1,000 hosts was 10,000,000 substring tests on ~500-byte values. Here
 * each event is parsed once and goes to the hosts it names: the one it is placed on now and the one it was
 * placed on before (its previous value). An event whose previous host cannot be told goes to every host.
 */
import type { Store, Watch, WatchEvent } from '../store/store.js';
import { keys } from '../core/keys.js';
import { sharedWatch } from './store-loop.js';

/** The host a stored unit value is placed on (undefined: on none), or 'unreadable' when it is not a JSON object. */
function hostOf(raw: string): string | undefined | 'unreadable' {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return 'unreadable';
  }
  if (typeof v !== 'object' || v === null) return 'unreadable';
  const host = (v as { host?: unknown }).host;
  return typeof host === 'string' ? host : undefined;
}

/**
 * The hosts a desired-unit event concerns, or 'all' when that cannot be told: a delete without the value it
 * deleted, or a value that is not a unit's JSON (each host's view reports that itself).
 */
export function hostsConcerned(e: WatchEvent): Set<string> | 'all' {
  const out = new Set<string>();
  if (e.type === 'put') {
    const now = hostOf(e.value);
    if (now === 'unreadable') return 'all';
    if (now) out.add(now);
  } else if (e.prevValue === undefined) {
    return 'all';
  }
  // a put without a previous value created the key: it was on no host before
  if (e.prevValue !== undefined) {
    const before = hostOf(e.prevValue);
    if (before === 'unreadable') return 'all';
    if (before) out.add(before);
  }
  return out;
}

/** Splits a batch of events by the hosts they concern, keeping their order; `all` gets what concerns everyone. */
export function eventsByHost(events: WatchEvent[]): { byHost: Map<string, WatchEvent[]>; all: WatchEvent[] } {
  const byHost = new Map<string, WatchEvent[]>();
  const all: WatchEvent[] = [];
  for (const e of events) {
    const hosts = hostsConcerned(e);
    if (hosts === 'all') {
      all.push(e);
      continue;
    }
    for (const h of hosts) {
      const list = byHost.get(h);
      if (list) list.push(e);
      else byHost.set(h, [e]);
    }
  }
  return { byHost, all };
}

type Listener = (events: WatchEvent[]) => void;

interface Member {
  listener: Listener;
  onError: (err: Error) => void;
}

interface Router {
  watch: Promise<Watch>;
  byHost: Map<string, Set<Member>>;
}

const routers = new WeakMap<Store, Router>();

/**
 * Listens to the desired-unit events that concern `hostId`, from the process's one shared watch of them
 * (same contract as sharedWatch: events from the moment this resolves; cancel() leaves it). Events that concern
 * every host arrive in a batch of their own after the routed ones of the same store batch.
 */
export async function hostUnitEvents(store: Store, hostId: string, listener: Listener, onError: (err: Error) => void): Promise<Watch> {
  let router = routers.get(store);
  if (!router) {
    const byHost = new Map<string, Set<Member>>();
    const route = (events: WatchEvent[]) => {
      const { byHost: split, all } = eventsByHost(events);
      for (const [host, list] of split) for (const m of byHost.get(host) ?? []) m.listener(list);
      if (all.length > 0) for (const set of byHost.values()) for (const m of set) m.listener(all);
    };
    const created: Router = { byHost, watch: undefined as unknown as Promise<Watch> };
    routers.set(store, created);
    created.watch = sharedWatch(store, keys.desiredUnitsPrefix(), route, (err) => {
      // a dead watch is dropped, so the next view to read again opens a new one
      if (routers.get(store) === created) routers.delete(store);
      for (const set of byHost.values()) for (const m of set) m.onError(err);
    }, { prevValues: true });
    created.watch.catch(() => {
      if (routers.get(store) === created) routers.delete(store);
    });
    router = created;
  }
  const r = router;
  const member: Member = { listener, onError };
  let set = r.byHost.get(hostId);
  if (!set) r.byHost.set(hostId, (set = new Set()));
  set.add(member);
  const leave = () => {
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
    cancel: async () => {
      leave();
      if (r.byHost.size > 0) return;
      if (routers.get(store) === r) routers.delete(store);
      await (await r.watch).cancel();
    },
  };
}
