import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IEvent, IWatchResponse } from 'etcd3';
import { StoreCompactedError } from '../store.js';
import { WatchCursor, type CursorStep } from './watch-cursor.js';

function put(key: string, value: string, revision: number): IEvent {
  return {
    type: 'Put',
    kv: { key: Buffer.from(key), value: Buffer.from(value), create_revision: String(revision), mod_revision: String(revision), version: '1', lease: '0' },
    prev_kv: null as never,
  };
}

/** a WatchResponse as etcd sends it; `header` is the store's revision when it was sent */
function response(fields: Partial<Omit<IWatchResponse, 'header'>> & { header?: number }): IWatchResponse {
  const { header = 0, ...rest } = fields;
  return {
    header: { cluster_id: '1', member_id: '1', revision: String(header), raft_term: '2' },
    watch_id: '0',
    created: false,
    canceled: false,
    compact_revision: '0',
    cancel_reason: '',
    fragment: false,
    events: [],
    ...rest,
  };
}

function revisionsOf(step: CursorStep): number[][] {
  assert.equal(step.kind, 'events');
  return step.kind === 'events' ? step.batches.map((batch) => batch.map((e) => e.revision)) : [];
}

describe('WatchCursor', () => {
  it('resumes from the first revision not yet delivered', () => {
    const cursor = new WatchCursor(5);
    assert.deepEqual(cursor.take(response({ created: true, header: 9 })), { kind: 'created' });
    assert.equal(cursor.next, 5, 'creation says nothing about what was delivered');
    assert.deepEqual(revisionsOf(cursor.take(response({ events: [put('/a', '1', 5), put('/b', '1', 5), put('/c', '1', 7)], header: 9 }))), [[5, 5], [7]]);
    assert.equal(cursor.next, 8);
  });

  it('does not trust the header of a catch-up batch: it runs ahead of the events sent', () => {
    // etcd sends history in batches of up to 1000 revisions, each stamped with the current revision
    const cursor = new WatchCursor(1);
    cursor.take(response({ events: [put('/a', '1', 1), put('/a', '2', 2)], header: 5000 }));
    assert.equal(cursor.next, 3);
  });

  it('drops revisions delivered before a reconnect, keeping the new ones of the same response', () => {
    const cursor = new WatchCursor(1);
    cursor.take(response({ events: [put('/a', '1', 3), put('/b', '1', 3), put('/a', '2', 4)] }));
    // a new stream from revision 5 should not repeat them, but if a response overlaps anyway:
    const step = cursor.take(response({ events: [put('/a', '1', 3), put('/b', '1', 3), put('/a', '2', 4), put('/c', '1', 6)] }));
    assert.deepEqual(revisionsOf(step), [[6]]);
    assert.deepEqual(revisionsOf(cursor.take(response({ events: [put('/a', '2', 4)] }))), []);
    assert.equal(cursor.next, 7);
  });

  it('moves past a quiet stretch on a progress notification, but not past its own header revision', () => {
    const cursor = new WatchCursor(10);
    assert.deepEqual(cursor.take(response({ header: 50 })), { kind: 'progress' });
    // etcd < 3.4.24 could announce progress at R before sending the events of R itself
    assert.equal(cursor.next, 50);
    assert.deepEqual(revisionsOf(cursor.take(response({ events: [put('/a', '1', 50)], header: 50 }))), [[50]]);
    assert.equal(cursor.next, 51);
    // an older progress header never moves the cursor back
    cursor.take(response({ header: 20 }));
    assert.equal(cursor.next, 51);
  });

  it('reports a compacted start as StoreCompactedError with the revision it asked for', () => {
    const cursor = new WatchCursor(3);
    const step = cursor.take(response({ canceled: true, compact_revision: '8' }));
    assert.equal(step.kind, 'canceled');
    if (step.kind !== 'canceled') return;
    assert.ok(step.error instanceof StoreCompactedError);
    assert.equal((step.error as StoreCompactedError).requested, 3);
    assert.equal((step.error as StoreCompactedError).compacted, 7);
  });

  it('reports a cancel for another reason, also when it comes with the creation', () => {
    const step = new WatchCursor(1).take(response({ created: true, canceled: true, cancel_reason: 'permission denied' }));
    assert.equal(step.kind, 'canceled');
    if (step.kind === 'canceled') assert.match(step.error.message, /canceled the watch: permission denied/);
  });
});
