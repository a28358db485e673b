import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreProbe } from './store-probe.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'paz-probe-'));
after(() => rmSync(dir, { recursive: true, force: true }));

it('is reachable while reads succeed, and unreachable with the reason once none did for staleMs', async () => {
  const store = new SqliteStore(join(dir, 'a.db'));
  const changes: Array<string | undefined> = [];
  const probe = new StoreProbe(store, { staleMs: 100, onChange: (p) => changes.push(p) });
  await probe.tick();
  assert.equal(probe.unavailable(), undefined);
  await store.close();
  await probe.tick();
  // one failed read alone does not make it unready: a read succeeded less than staleMs ago
  assert.equal(probe.unavailable(), undefined);
  await new Promise((r) => setTimeout(r, 150));
  await probe.tick();
  assert.match(probe.unavailable() ?? '', /no read of sqlite:.* succeeded .*closed/);
  assert.equal(changes.length, 1, 'one change: reachable -> unreachable');
});
