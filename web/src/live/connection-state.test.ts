import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionLost, dropped, initialConnection, opened, received, reconnecting, RETRY } from './connection-state.js';

test('the first connection shows no banner; a drop does, with the first backoff delay', () => {
  assert.equal(connectionLost(initialConnection), false);
  const open = opened(initialConnection);
  assert.equal(connectionLost(open), false);
  const lost = dropped(open, 'network error');
  assert.equal(lost.status, 'retrying');
  assert.equal(lost.retryInMs, RETRY.initialMs);
  assert.equal(connectionLost(lost), true);
  assert.equal(connectionLost(reconnecting(lost)), true, 'still lost while the retry is under way');
});

test('failed retries back off exponentially up to the cap, and an open connection starts over', () => {
  let s = initialConnection;
  const delays: number[] = [];
  for (let i = 0; i < 8; i++) {
    s = dropped(s, 'refused');
    delays.push(s.retryInMs!);
    s = reconnecting(s);
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  s = opened(s);
  assert.equal(s.failures, 0);
  assert.equal(dropped(s, 'x').retryInMs, RETRY.initialMs);
});

test('the last event id survives drops and reconnects, so the next connection resumes after it', () => {
  let s = received(opened(initialConnection), '41');
  s = received(s, undefined);
  assert.equal(s.lastEventId, '41');
  s = opened(reconnecting(dropped(s, 'x')));
  assert.equal(s.lastEventId, '41');
});
