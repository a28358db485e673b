import { test } from 'node:test';
import assert from 'node:assert/strict';
import { killedStopEntry } from './stop-journal.js';
import { keys } from './keys.js';
import type { JournalEntry } from './records.js';

test("an instance killed at its retirement is journaled under its service and version, in time order, naming the setting", () => {
  const e = killedStopEntry({ unit: 'web-3-2', at: 1_700_000_000_000, graceSeconds: 10, during: { kind: 'retire' } });
  assert.equal(e.key, keys.journal(1_700_000_000_000, 'web', 3, 'unit-killed-web-3-2'));
  const entry = JSON.parse(e.value) as JournalEntry;
  assert.equal(entry.event, 'unit-killed');
  assert.equal(entry.serviceName, 'web');
  assert.equal(entry.version, 3);
  assert.equal(entry.timestamp, 1_700_000_000_000);
  assert.equal(entry.message, e.message);
  assert.match(e.message, /^web-3-2 did not exit within its 10 s stop grace after SIGTERM and was killed while it was being retired: /);
  assert.match(e.message, /rollout\.stopGraceSeconds/);
});

test('a restart says its reason; a service whose name has dashes keeps them', () => {
  const e = killedStopEntry({ unit: 'my-api-1-1', at: 5, graceSeconds: 2.5, during: { kind: 'restart', why: 'unhealthy: GET /health timed out' } });
  const entry = JSON.parse(e.value) as JournalEntry;
  assert.equal(entry.serviceName, 'my-api');
  assert.equal(entry.version, 1);
  assert.match(e.message, /within its 2\.5 s stop grace .* while it was being restarted \(unhealthy: GET \/health timed out\)/);
});
