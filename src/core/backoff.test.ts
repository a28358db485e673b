import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, backoffDelayMs } from './backoff.js';

test('backoffDelayMs doubles from initialMs and stops at maxMs', () => {
  const opts = { initialMs: 250, maxMs: 10_000 };
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffDelayMs(n, opts)), [250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
});

test('backoffDelayMs: another factor, negative attempts count as the first, huge ones stay at the cap', () => {
  assert.deepEqual([0, 1, 2, 3].map((n) => backoffDelayMs(n, { initialMs: 100, maxMs: 5000, factor: 3 })), [100, 300, 900, 2700]);
  assert.equal(backoffDelayMs(-3, { initialMs: 100, maxMs: 5000 }), 100);
  assert.equal(backoffDelayMs(5000, { initialMs: 100, maxMs: 5000 }), 5000);
  assert.equal(backoffDelayMs(5000, { initialMs: 0, maxMs: 5000 }), 5000);
  assert.equal(backoffDelayMs(3, { initialMs: 0, maxMs: 5000 }), 0);
});

test('Backoff hands out the sequence, stays at the cap, and starts over after reset()', () => {
  const b = new Backoff({ initialMs: 100, maxMs: 2000 });
  const seen = Array.from({ length: 8 }, () => b.next());
  assert.deepEqual(seen, [100, 200, 400, 800, 1600, 2000, 2000, 2000]);
  b.reset();
  assert.deepEqual([b.next(), b.next()], [100, 200]);
});
