import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { WatchEvent } from '../store/store.js';
import { keys } from '../core/keys.js';
import { hostUnitEvents, routeEvents, type RouteMember, type UnitEvent } from './unit-events-by-host.js';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
const C = 'c'.repeat(32);
const unit = (host: string | null, extra: Record<string, unknown> = {}) => JSON.stringify({ unit: 'web-1-1', service: 'web', host, ...extra });
const put = (key: string, value: string, revision = 1): WatchEvent => ({ type: 'put', key, value, revision });
/** an event as the router hands a put of a unit on: with its value parsed */
const parsed = (e: WatchEvent): UnitEvent => ({ ...e, unit: JSON.parse(e.value) as object });
const member = (hostId: string, holds: string[] = [], syncing = false): RouteMember => ({ hostId, listener: () => {}, onError: () => {}, syncing, holds: new Set(holds) });

/** the router's indexes for a set of members, as hostUnitEvents keeps them */
function indexes(members: RouteMember[]) {
  const holders = new Map<string, Set<RouteMember>>();
  const byHost = new Map<string, Set<RouteMember>>();
  for (const m of members) {
    for (const k of m.holds) holders.set(k, new Set([...(holders.get(k) ?? []), m]));
    byHost.set(m.hostId, new Set([...(byHost.get(m.hostId) ?? []), m]));
  }
  return { holders, byHost };
}

describe('routeEvents', () => {
  it('a put goes to the host it names and to whoever holds the unit; a delete to whoever holds it', () => {
    const a = member(A, ['/u/1']);
    const b = member(B);
    const members = [a, b];
    const { holders, byHost } = indexes(members);
    const moved = put('/u/1', unit(B), 2);
    const unplaced = put('/u/1', unit(null), 3);
    const placedNew = put('/u/2', unit(A), 4);
    const fresh = put('/u/3', unit(null), 5);
    const deleted: WatchEvent = { type: 'delete', key: '/u/1', value: '', revision: 6 };
    const gone: WatchEvent = { type: 'delete', key: '/u/9', value: '', revision: 7 };
    const out = routeEvents([moved, unplaced, placedNew, fresh, deleted, gone], members, holders, byHost);
    assert.deepEqual(out.get(a), [parsed(moved), parsed(unplaced), parsed(placedNew), deleted], 'the holder hears every change of its unit, in order');
    assert.deepEqual(out.get(b), [parsed(moved)], 'the new host hears of the unit placed on it');
    assert.equal(out.get(a)![0].unit, out.get(b)![0].unit, 'parsed once for both');
  });

  it('a host id only mentioned in the value (a reason) does not make the event that host\'s', () => {
    const a = member(A);
    const { holders, byHost } = indexes([a]);
    assert.equal(routeEvents([put('/u/1', unit(null, { reason: `host ${A} stopped heartbeating` }))], [a], holders, byHost).size, 0);
  });

  it('a member still reading hears everything; a value that is not a unit\'s JSON goes to everyone', () => {
    const a = member(A);
    const c = member(C, [], true);
    const members = [a, c];
    const { holders, byHost } = indexes(members);
    const events = [put('/u/1', unit(B)), { type: 'delete', key: '/u/2', value: '', revision: 2 } as WatchEvent, put('/u/3', '{not json'), put('/u/4', '"a string"')];
    const out = routeEvents(events, members, holders, byHost);
    assert.deepEqual(out.get(c), [parsed(events[0]), events[1], events[2], events[3]]);
    assert.deepEqual(out.get(a), [events[2], events[3]], 'as they are: each view reports what it cannot read');
  });
});

describe('hostUnitEvents', () => {
  it('each host hears only of the units that concern it, from one shared watch that carries no previous values', async () => {
    const store = new SqliteStore(':memory:');
    const watchedWith: unknown[] = [];
    const watch = store.watch.bind(store);
    store.watch = (prefix, listener, opts) => (watchedWith.push(opts?.prevValues), watch(prefix, listener, opts));
    const heard = new Map<string, string[]>([[A, []], [B, []]]);
    // listeners that keep what is placed on their host, as host-units-view.ts does, and tell the router
    const listen = async (host: string) => {
      const handle = await hostUnitEvents(store, host, (events) => {
        for (const e of events) {
          heard.get(host)!.push(`${e.type} ${e.key}`);
          if (e.type === 'put' && e.unit?.host === host) handle.held(e.key);
          else handle.dropped(e.key);
        }
      }, (err) => assert.fail(err));
      handle.synced();
      return handle;
    };
    const [wa, wb] = await Promise.all([listen(A), listen(B)]);
    const until = async (host: string, n: number) => {
      for (let i = 0; i < 200 && heard.get(host)!.length < n; i++) await new Promise((r) => setTimeout(r, 5));
    };
    try {
      assert.deepEqual(watchedWith, [false], 'one watch for both hosts, without previous values');
      const k1 = keys.desiredUnit('web', 'web-1-1');
      const k2 = keys.desiredUnit('web', 'web-1-2');
      await store.put(k1, unit(A));
      await store.put(k2, unit(null));
      await store.put(k2, unit(B));
      await store.put(k1, unit(B));
      await store.delete(k2);
      await store.put(k1, unit(null));
      await until(A, 2);
      await until(B, 4);
      assert.deepEqual(heard.get(A), [`put ${k1}`, `put ${k1}`], 'placed here, then moved away');
      assert.deepEqual(heard.get(B), [`put ${k2}`, `put ${k1}`, `delete ${k2}`, `put ${k1}`], 'placed here, moved here, deleted, unplaced');

      // a host that leaves hears nothing more; the other still does
      await wa.cancel();
      await store.put(k1, unit(A));
      await store.put(k2, unit(B));
      await until(B, 5);
      assert.equal(heard.get(A)!.length, 2);
      assert.deepEqual(heard.get(B)!.at(-1), `put ${k2}`);
    } finally {
      await wb.cancel();
      await store.close();
    }
  });
  it('a host that joined hears every event until it says synced(), then only its own', async () => {
    const store = new SqliteStore(':memory:');
    const heard: string[] = [];
    const handle = await hostUnitEvents(store, A, (events) => heard.push(...events.map((e) => `${e.type} ${e.key}`)), (err) => assert.fail(err));
    const until = async (n: number) => {
      for (let i = 0; i < 200 && heard.length < n; i++) await new Promise((r) => setTimeout(r, 5));
    };
    try {
      const k1 = keys.desiredUnit('web', 'web-1-1');
      const k2 = keys.desiredUnit('web', 'web-1-2');
      // still reading: it cannot say yet what it holds, so a unit it may hold, moved to B or deleted, is its news too
      await store.put(k1, unit(B));
      await store.delete(k1);
      await until(2);
      assert.deepEqual(heard, [`put ${k1}`, `delete ${k1}`], 'a view still reading hears what concerns other hosts');
      handle.synced();
      await store.put(k2, unit(B));
      await store.put(k1, unit(A));
      await until(3);
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(heard.slice(2), [`put ${k1}`], 'once synced, only what is placed here or held here');
    } finally {
      await handle.cancel();
      await store.close();
    }
  });
});
