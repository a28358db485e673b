import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StatsHistory } from './stats-history.js';

test('keeps samples oldest first until full', () => {
  const h = new StatsHistory<number>(3);
  assert.equal(h.size, 0);
  assert.equal(h.latest(), undefined);
  assert.deepEqual(h.toArray(), []);
  h.push(1);
  h.push(2);
  assert.deepEqual(h.toArray(), [1, 2]);
  assert.equal(h.latest(), 2);
  assert.equal(h.size, 2);
});

test('drops the oldest once full, across several wraps', () => {
  const h = new StatsHistory<number>(3);
  for (let i = 1; i <= 10; i++) h.push(i);
  assert.equal(h.size, 3);
  assert.deepEqual(h.toArray(), [8, 9, 10]);
  assert.equal(h.latest(), 10);
  assert.deepEqual(h.toArray(2), [9, 10]);
  assert.deepEqual(h.toArray(0), []);
  assert.deepEqual(h.toArray(99), [8, 9, 10]);
});

test('defaults to 120 samples and can be cleared', () => {
  const h = new StatsHistory<{ v: number }>();
  assert.equal(h.capacity, 120);
  for (let i = 0; i < 200; i++) h.push({ v: i });
  assert.equal(h.size, 120);
  assert.equal(h.toArray()[0].v, 80);
  h.clear();
  assert.equal(h.size, 0);
  assert.deepEqual(h.toArray(), []);
  h.push({ v: 1 });
  assert.deepEqual(h.toArray(), [{ v: 1 }]);
});

test('rejects a useless capacity', () => {
  assert.throws(() => new StatsHistory(0), RangeError);
  assert.throws(() => new StatsHistory(1.5), RangeError);
});
