import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseFrames } from '../../../src/client/sse-frames.js';
import { affectsCluster, affectsServices, newerThan, toLiveEvent } from './relevance.js';

test('SSE frames from /events become live events with their revision; comments and heartbeats are none', () => {
  const frames = new SseFrames().push(': paz events since revision 3\n\nid: 4\nevent: service.create\ndata: {"name":"web"}\n\n: keep-alive\n\nid: 5\nevent: unit.status\ndata: oops\n\n');
  const events = frames.map(toLiveEvent);
  assert.deepEqual(events, [
    { event: 'service.create', data: { name: 'web' }, revision: 4 },
    { event: 'unit.status', data: 'oops', revision: 5 },
  ]);
  assert.equal(toLiveEvent({ data: 'x' }), undefined);
});

test('which pages an event concerns', () => {
  const e = (event: string) => ({ event, data: null });
  assert.equal(affectsServices(e('service.modifyConfig')), true);
  assert.equal(affectsServices(e('unit.status')), true);
  assert.equal(affectsServices(e('journal')), true);
  assert.equal(affectsServices(e('host.add')), false);
  assert.equal(affectsCluster(e('host.remove')), true);
  assert.equal(affectsCluster(e('journal')), false);
});

test('an event counts only when it is after the revision a page read at', () => {
  assert.equal(newerThan({ event: 'x', data: 1, revision: 10 }, 10), false);
  assert.equal(newerThan({ event: 'x', data: 1, revision: 11 }, 10), true);
  assert.equal(newerThan({ event: 'x', data: 1, revision: 11 }, undefined), true);
});
