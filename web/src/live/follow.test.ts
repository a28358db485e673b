import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isNewer, notLoaded, oldestRevision, onEvent, onFailed, onLoaded, onReload, type Follow } from './follow.js';

const shown = (readAt: number): Follow => ({ readAt, loading: false });

test('an event at or before the revision the answer was read at is already in it: no load', () => {
  assert.deepEqual(onEvent(shown(12), 12), { next: shown(12), load: false });
  assert.deepEqual(onEvent(shown(12), 7), { next: shown(12), load: false });
  assert.deepEqual(onEvent(shown(12), 13), { next: { readAt: 12, loading: true }, load: true });
});

test('unknown revisions count as newer (an answer without the header, an event without an id)', () => {
  assert.equal(isNewer(undefined, 5), true);
  assert.equal(isNewer(5, undefined), true);
  assert.equal(onEvent({ loading: false }, 3).load, true);
});

test('load, then events: events the answer already holds do not load it again; a newer one loads once', () => {
  // the first load starts; events 10..12 arrive while it runs; it answers read at revision 12
  let d = onReload(notLoaded);
  assert.equal(d.load, true);
  for (const rev of [10, 11, 12]) {
    d = onEvent(d.next, rev);
    assert.equal(d.load, false, 'never a second load while one runs');
  }
  assert.deepEqual(d.next.waiting, 12);
  d = onLoaded(d.next, 12);
  assert.deepEqual(d, { next: { readAt: 12, loading: false }, load: false }, 'all three are in the answer');

  // events 13 and 14 arrive during the next load, which was read at 13: 14 is missing, so one more load
  d = onEvent(d.next, 13);
  assert.equal(d.load, true);
  d = onEvent(d.next, 14);
  assert.equal(d.load, false);
  d = onLoaded(d.next, 13);
  assert.deepEqual(d, { next: { readAt: 13, loading: true }, load: true });
  d = onLoaded(d.next, 14);
  assert.deepEqual(d, { next: { readAt: 14, loading: false }, load: false });
  // the stream delivers 14 late, after the answer that holds it: ignored
  assert.equal(onEvent(d.next, 14).load, false);
});

test('a reload asked for during a load, or an event without a revision, loads once more', () => {
  let d = onReload(shown(5));
  d = onReload(d.next);
  assert.equal(d.load, false);
  assert.deepEqual(onLoaded(d.next, 9), { next: { readAt: 9, loading: true }, load: true });
  d = onEvent({ readAt: 5, loading: true }, undefined);
  assert.equal(onLoaded(d.next, 9).load, true);
});

test('a failed load keeps the revision shown, and loads again only if something came meanwhile', () => {
  assert.deepEqual(onFailed({ readAt: 4, loading: true }), { next: { readAt: 4, loading: false }, load: false });
  assert.deepEqual(onFailed({ readAt: 4, loading: true, waiting: 6 }), { next: { readAt: 4, loading: true }, load: true });
});

test('an answer read in parts holds what the oldest part does', () => {
  assert.equal(oldestRevision(12, 10, 11), 10);
  assert.equal(oldestRevision(12, undefined), undefined);
  assert.equal(oldestRevision(), undefined);
});
