import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendLog, emptyLog, probeText, unitTone } from './unit-summary.js';

test('tone: healthy ok, failed bad, waiting busy, stopped idle', () => {
  assert.equal(unitTone({ state: 'healthy', healthy: true }), 'ok');
  assert.equal(unitTone({ state: 'failed', healthy: false }), 'bad');
  assert.equal(unitTone({ state: 'pulling', healthy: false }), 'busy');
  assert.equal(unitTone({ state: 'unplaced', healthy: false }), 'idle');
});

test('the last probe in words', () => {
  assert.equal(probeText({}, 0), 'no probe yet');
  assert.equal(probeText({ lastProbe: { at: 1000, ok: true } }, 6000), 'passed (5 s ago)');
  assert.equal(probeText({ lastProbe: { at: 0, ok: false, error: 'HTTP 500' } }, 180_000), 'failed: HTTP 500 (3 min ago)');
});

test('log chunks become whole lines; an unfinished line waits for its end', () => {
  let b = appendLog(emptyLog, 'one\ntw', 10);
  assert.deepEqual(b.lines, ['one']);
  assert.equal(b.partial, 'tw');
  b = appendLog(b, 'o\r\nthree\n', 10);
  assert.deepEqual(b.lines, ['one', 'two', 'three']);
  assert.equal(b.partial, '');
});

test('the buffer keeps the newest `max` lines and counts the dropped', () => {
  let b = emptyLog;
  for (let i = 0; i < 25; i++) b = appendLog(b, `line ${i}\n`, 10);
  assert.equal(b.lines.length, 10);
  assert.equal(b.lines[0], 'line 15');
  assert.equal(b.dropped, 15);
});
