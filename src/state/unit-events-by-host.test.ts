import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { WatchEvent } from '../store/store.js';
import { keys } from '../core/keys.js';
import { eventsByHost, hostUnitEvents, hostsConcerned } from './unit-events-by-host.js';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
const unit = (host: string | null, extra: Record<string, unknown> = {}) => JSON.stringify({ unit: 'web-1-1', service: 'web', host, ...extra });
const put = (value: string, prevValue?: string): WatchEvent => ({ type: 'put', key: '/u', value, revision: 1, ...(prevValue === undefined ? {} : { prevValue }) });

describe('hostsConcerned', () => {
  it('names the host a unit is placed on, and the one it was on before', () => {
    assert.deepEqual(hostsConcerned(put(unit(A))), new Set([A]));
    assert.deepEqual(hostsConcerned(put(unit(B), unit(A))), new Set([A, B]), 'moved: both hosts hear of it');
    assert.deepEqual(hostsConcerned(put(unit(null), unit(A))), new Set([A]), 'unplaced: the host it left');
    assert.deepEqual(hostsConcerned(put(unit(null))), new Set(), 'a new unplaced unit concerns no host');
    assert.deepEqual(hostsConcerned({ type: 'delete', key: '/u', value: '', revision: 2, prevValue: unit(A) }), new Set([A]));
  });

  it('a host id only mentioned in the value (a reason) does not make the event that host\'s', () => {
    assert.deepEqual(hostsConcerned(put(unit(null, { reason: `host ${A} stopped heartbeating` }))), new Set());
  });

  it('goes to every host when it cannot tell: a delete without its value, a value that is not a unit\'s JSON', () => {
    assert.equal(hostsConcerned({ type: 'delete', key: '/u', value: '', revision: 2 }), 'all');
    assert.equal(hostsConcerned(put('{not json')), 'all');
    assert.equal(hostsConcerned(put('"a string"')), 'all');
    assert.equal(hostsConcerned(put(unit(A), 'garbage')), 'all');
  });

  it('eventsByHost keeps each host\'s events in store order', () => {
    const events = [put(unit(A)), put(unit(B), unit(A)), { type: 'delete', key: '/x', value: '', revision: 3 } as WatchEvent, put(unit(A), unit(B))];
    const { byHost, all } = eventsByHost(events);
    assert.deepEqual(byHost.get(A), [events[0], events[1], events[3]]);
    assert.deepEqual(byHost.get(B), [events[1], events[3]]);
    assert.deepEqual(all, [events[2]]);
  });
});

describe('hostUnitEvents', () => {
  it('each host hears only of the units that concern it, from one shared watch', async () => {
    const store = new SqliteStore(':memory:');
    const heard = new Map<string, string[]>([[A, []], [B, []]]);
    const listen = (host: string) => hostUnitEvents(store, host, (events) => heard.get(host)!.push(...events.map((e) => `${e.type} ${e.key}`)), (err) => assert.fail(err));
    const [wa, wb] = await Promise.all([listen(A), listen(B)]);
    try {
      const k1 = keys.desiredUnit('web', 'web-1-1');
      const k2 = keys.desiredUnit('web', 'web-1-2');
      await store.put(k1, unit(A));
      await store.put(k2, unit(null));
      await store.put(k2, unit(B));
      await store.put(k1, unit(B));
      await store.delete(k2);
      await store.put(keys.desiredUnit('web', 'broken'), 'not json');
      const want = { [A]: [`put ${k1}`, `put ${k1}`, `put ${keys.desiredUnit('web', 'broken')}`], [B]: [`put ${k2}`, `put ${k1}`, `delete ${k2}`, `put ${keys.desiredUnit('web', 'broken')}`] };
      for (let i = 0; i < 200 && (heard.get(A)!.length < 3 || heard.get(B)!.length < 4); i++) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(heard.get(A), want[A]);
      assert.deepEqual(heard.get(B), want[B]);

      // a host that leaves hears nothing more; the other still does
      await wa.cancel();
      await store.put(k1, unit(A), {});
      for (let i = 0; i < 200 && heard.get(B)!.length < 5; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(heard.get(A)!.length, 3);
      assert.deepEqual(heard.get(B)!.at(-1), `put ${k1}`, 'moved away from B: B hears of it');
    } finally {
      await wb.cancel();
      await store.close();
    }
  });
});
