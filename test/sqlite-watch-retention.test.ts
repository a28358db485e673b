// test-lane: normal
/**
 * A watch on the SQLite store that falls behind the store's retention. The store keeps the last
 * `retainRevisions` revisions of its log for watches (sqlite-store.ts compactOldRevisions): each process's
 * compactor spares what its own watches have yet to receive, but not the watches of the other processes on the
 * same file (a `paz agent` beside `paz server` on one host). A process that does not run for a while (a long
 * GC pause, a blocked event loop, SIGSTOP) while another one writes more than the retention comes back to a
 * watch that cannot be resumed. It must get StoreCompactedError, never a silent gap; and a StoreLoop with a
 * PrefixView over that store (how every controller of Paz follows the store) must open its watch again, read
 * everything again, and follow later changes by watch as before.
 *
 * The other process is a real one (node running the built store), and the pause is real: spawnSync holds this
 * process's event loop for as long as the writer runs.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { StoreCompactedError } from '../src/store/store.js';
import { StoreLoop } from '../src/state/store-loop.js';
import { PrefixView } from '../src/state/prefix-view.js';
import { tmpDir } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';

const RETAIN = 5;
const AWAY_WRITES = 40;
const storeModule = fileURLToPath(new URL('../src/store/sqlite/sqlite-store.js', import.meta.url));
const dbModule = fileURLToPath(new URL('../src/store/sqlite/kv-database.js', import.meta.url));

/**
 * Another process on the file: writes `AWAY_WRITES` keys under /t/ with a short retention and a fast compactor,
 * and returns once its compactor has dropped revision `behind` (a watch still at it cannot be resumed).
 */
function writeElsewhere(file: string, behind: number): void {
  const script = `
    const { SqliteStore } = await import(${JSON.stringify(storeModule)});
    const { KvDatabase } = await import(${JSON.stringify(dbModule)});
    const s = new SqliteStore(${JSON.stringify(file)}, { retainRevisions: ${RETAIN}, compactIntervalMs: 10 });
    for (let i = 0; i < ${AWAY_WRITES}; i++) await s.put('/t/away-' + i, String(i));
    // the file's meta row, read apart (a watch of this process to look with would hold its compactor back)
    const db = new KvDatabase(${JSON.stringify(file)}, 5000, true);
    for (let tries = 0; db.meta().compacted < ${behind}; tries++) {
      if (tries > 500) { console.error('the compactor never dropped revision ${behind}'); process.exit(1); }
      await new Promise((r) => setTimeout(r, 10));
    }
    db.close();
    await s.close();
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, `the writing process: ${r.stderr}`);
}

const dir = tmpDir('paz-sqlite-retention-');
after(() => rmSync(dir, { recursive: true, force: true }));

test('a watch that fell past the retention gets StoreCompactedError, and a loop over a view recovers from it', async () => {
  const file = join(dir, 'paz.db');
  // this process's store: the default retention, so only the other process's compactor drops anything
  const store = new SqliteStore(file, { pollIntervalMs: 20 });
  const errors: Error[] = [];
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
  const view = new PrefixView<string>({ store, prefix: '/t/', parse: (_key, raw) => raw, onError: (err) => errors.push(err) });
  let passes = 0;
  let seen: ReadonlyMap<string, unknown> = new Map();
  // no periodic pass within the test: every pass comes from the watch
  const loop = new StoreLoop({
    store, name: 'retention-loop', logger, prefixes: ['/t/'], intervalMs: 600_000, pass: async () => {
      passes++;
      seen = new Map(await view.entries());
    },
  });
  try {
    await store.put('/t/first', '1');
    await loop.start();
    assert.equal(passes, 1);
    assert.ok(seen.has('/t/first'));
    const behind = (await store.put('/t/second', '2')) + 1;
    await waitFor('the second key, by watch', async () => seen.has('/t/second'), 10_000, 10);
    const passesBefore = passes;

    // this process stands still while the other one writes more than the retention and compacts past it
    writeElsewhere(file, behind);

    await waitFor('the watch falls past the retention: StoreCompactedError', async () => errors.length > 0, 10_000, 10);
    assert.ok(errors[0] instanceof StoreCompactedError, `${errors[0]}`);
    console.log(`# after the pause: ${errors[0].message}`);
    await waitFor('the loop opened its watch again', async () => warnings.some((w) => w.includes('watch failed; opening it again')), 10_000, 10);
    // the pass after the reopen reads everything again: every key written meanwhile, none lost
    await waitFor('every key written meanwhile seen', async () => Array.from({ length: AWAY_WRITES }, (_, i) => `/t/away-${i}`).every((k) => seen.has(k)), 10_000, 10);
    assert.ok(passes > passesBefore);
    // and a later change by another process wakes the loop by watch again (the periodic pass is 10 min off)
    const reopened = passes;
    const other = new SqliteStore(file);
    try {
      await other.put('/t/later', 'x');
    } finally {
      await other.close();
    }
    await waitFor('a later change, by the new watch', async () => seen.has('/t/later'), 10_000, 10);
    assert.ok(passes > reopened);
    console.log(`# passes: ${passes}; view errors: ${errors.length}; keys seen: ${seen.size}`);
  } finally {
    await loop.stop();
    await view.stop();
    await store.close();
  }
});
