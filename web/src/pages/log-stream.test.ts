import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterServiceStream, afterUnitStream } from './log-stream.js';

test("a service's stream ends for good only when the service was deleted", () => {
  assert.deepEqual(afterServiceStream({ kind: 'ended', lastLine: '--- web was deleted ---' }), { again: false, why: 'the service was deleted' });
  // a unit's line that happens to read like it does not end it
  assert.equal(afterServiceStream({ kind: 'ended', lastLine: 'web-1-1 | --- web was deleted ---' }).again, true);
  assert.equal(afterServiceStream({ kind: 'ended' }).again, true);
  assert.equal(afterServiceStream({ kind: 'ended', lastLine: '--- web-1-1 is gone (its version was replaced or failed, or it was scaled down) ---' }).again, true);
});

test('a broken stream or a 5xx is followed again; a 4xx is not', () => {
  for (const after of [afterServiceStream, afterUnitStream]) {
    assert.deepEqual(after({ kind: 'broke', message: 'network error' }), { again: true, why: 'the log stream broke: network error' });
    assert.deepEqual(after({ kind: 'refused', status: 502, message: 'the agent of host h1 did not answer' }), { again: true, why: 'the agent of host h1 did not answer' });
    for (const status of [400, 401, 403, 404]) assert.equal(after({ kind: 'refused', status, message: 'no' }).again, false, String(status));
  }
});

test("a unit's stream ending cleanly is its process ending: said, not followed again here", () => {
  assert.deepEqual(afterUnitStream({ kind: 'ended', lastLine: 'bye' }), { again: false, why: 'the log stream ended (the unit stopped or restarted)' });
});
