import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_EVENTS_MAX_BUFFERED_BYTES, eventsMaxBufferedBytes, lastEventId } from './event-routes.js';
import { PazError } from '../../core/errors.js';

test('Last-Event-ID: a whole number resumes after it; anything else is a 400 saying what to send', () => {
  assert.equal(lastEventId(undefined), undefined);
  assert.equal(lastEventId(''), undefined);
  assert.equal(lastEventId('42'), 42);
  assert.equal(lastEventId(' 7 '), 7);
  for (const bad of ['abc', '-1', '1.5', '1e3', '9'.repeat(16), '__proto__', '1\n2', ['1', '2']]) {
    assert.throws(() => lastEventId(bad), (e: unknown) => e instanceof PazError && e.code === 'VALIDATION' && /not an event id: send the id of the last event/.test(e.message), JSON.stringify(bad));
  }
});

test('the event-stream buffer bound comes from PAZ_EVENTS_MAX_BUFFERED_BYTES, else the default', () => {
  assert.equal(eventsMaxBufferedBytes({}), DEFAULT_EVENTS_MAX_BUFFERED_BYTES);
  assert.equal(eventsMaxBufferedBytes({ PAZ_EVENTS_MAX_BUFFERED_BYTES: '65536' }), 65536);
  for (const bad of ['0', '-5', 'lots', '1.5']) assert.equal(eventsMaxBufferedBytes({ PAZ_EVENTS_MAX_BUFFERED_BYTES: bad }), DEFAULT_EVENTS_MAX_BUFFERED_BYTES);
});
