import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowWindow } from './table-window.js';

test('at the top: the screenful plus the overscan below, a spacer for the rest', () => {
  const w = rowWindow(1000, 40, 0, 400, 5);
  assert.deepEqual(w, { start: 0, end: 16, padTop: 0, padBottom: 984 * 40 });
});

test('scrolled: overscan on both sides, and spacers adding up to the full height', () => {
  const w = rowWindow(1000, 40, 4000, 400, 5);
  assert.equal(w.start, 95);
  assert.equal(w.end, 116);
  assert.equal(w.padTop + (w.end - w.start) * 40 + w.padBottom, 1000 * 40);
});

test('past the end and short lists stay in bounds', () => {
  assert.deepEqual(rowWindow(3, 40, 0, 800), { start: 0, end: 3, padTop: 0, padBottom: 0 });
  const w = rowWindow(10, 40, 99999, 400, 2);
  assert.equal(w.end, 10);
  assert.ok(w.start <= w.end);
  assert.deepEqual(rowWindow(0, 40, 0, 400), { start: 0, end: 0, padTop: 0, padBottom: 0 });
});
