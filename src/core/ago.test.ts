import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ago, lastRestartText } from './ago.js';

test('ago: seconds, minutes, hours, days; a time ahead of now is "0 s ago"', () => {
  assert.equal(ago(1000, 6000), '5 s ago');
  assert.equal(ago(0, 180_000), '3 min ago');
  assert.equal(ago(0, 7_200_000), '2 h ago');
  assert.equal(ago(0, 3 * 86_400_000), '3 d ago');
  assert.equal(ago(10_000, 0), '0 s ago');
});

test('lastRestartText: when and why', () => {
  assert.equal(lastRestartText({ at: 0, why: 'killed for using more memory than its limit' }, 90_000), 'last restart 1 min ago: killed for using more memory than its limit');
});
