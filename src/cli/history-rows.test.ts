import assert from 'node:assert/strict';
import { test } from 'node:test';
import { historyRows, outcomeText, type HistoryRecord } from './history-rows.js';

const rec = (version: number, extra: Partial<HistoryRecord> = {}): HistoryRecord => ({
  version,
  timestamp: Date.UTC(2026, 10, 30, 12, version),
  image: `r/web:${version}`,
  digest: `sha256:${String(version).repeat(64)}`,
  trigger: { source: 'api', tag: String(version), actor: 'admin' },
  outcome: { state: 'succeeded' },
  ...extra,
});

test('the serving version is marked; the others show how their deploy ended', () => {
  const failed = rec(3, { outcome: { state: 'failed' } });
  assert.equal(outcomeText(rec(2), 2), 'serving');
  assert.equal(outcomeText(rec(1), 2), 'succeeded');
  assert.equal(outcomeText(failed, 2), 'failed');
  assert.equal(outcomeText(rec(4, { outcome: { state: 'deploying' } }), 2), 'deploying');
  assert.equal(outcomeText(rec(1, { outcome: undefined }), undefined), '-', 'deployed before outcomes were recorded');
  const rows = historyRows([rec(1), rec(2, { trigger: { source: 'rollback', rollbackOf: 1, actor: 'admin' } }), failed], 2);
  assert.deepEqual(rows[1], ['2', '2026-11-30T12:02:00.000Z', 'r/web:2', `sha256:${'2'.repeat(64)}`, 'rollback to v1 by admin', 'serving']);
  assert.deepEqual(rows.map((r) => r[5]), ['succeeded', 'serving', 'failed']);
  assert.equal(historyRows([rec(1, { digest: undefined })], 1)[0]![3], '-', 'no digest');
});
