// The agent's side of a fence, in one process with real unit processes (process driver) on a real store
// (SQLite): fence() stops every unit gracefully (SIGTERM first) and forgets their keys, nothing starts while
// fenced even when units are placed here meanwhile, and rejoin() re-syncs to what the store says then: a unit
// moved elsewhere meanwhile stays stopped, units still (or newly) placed here start.
// test/host-partition-fence.test.ts shows the whole of it on a cluster, with the store really cut off.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { LeaseSession } from '../src/state/lease-session.js';
import { ProcessDriver } from '../src/agent/drivers/process/process-driver.js';
import { Reconciler } from '../src/agent/reconciler.js';
import { keys } from '../src/core/keys.js';
import type { DesiredUnit } from '../src/core/records.js';
import { waitFor } from './helpers/wait.js';

const HOST = 'a'.repeat(32);
const OTHER = 'b'.repeat(32);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('an agent fenced off the store stops its units and re-syncs when it rejoins', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paz-agent-fence-'));
  /** where units leave their SIGTERM marks (world-writable: process units run as nobody when the test is root) */
  const marks = join(dir, 'marks');
  const store = new SqliteStore(':memory:');
  const session = new LeaseSession(store, { ttlSeconds: 30 });
  const driver = new ProcessDriver(join(dir, 'driver'), { useCgroups: false, logger: { info: () => undefined, warn: () => undefined } });
  let reconciler: Reconciler;

  /** a unit that runs until SIGTERM, and leaves a mark that it got one */
  const unit = (instance: number, host: string): DesiredUnit => ({
    unit: `web-1-${instance}`,
    service: 'web',
    version: 1,
    instance,
    host,
    createdAt: 1,
    spec: {
      image: 'local/web',
      ports: [],
      env: {},
      volumes: [],
      stopGraceSeconds: 5,
      command: [process.execPath, '-e', `const fs = require('node:fs'); const mark = ${JSON.stringify(marks)} + '/' + process.env.PAZ_UNIT; process.on('SIGTERM', () => { fs.writeFileSync(mark + '.term', ''); process.exit(0); }); fs.writeFileSync(mark + '.up', ''); setInterval(() => {}, 1000);`],
    },
  });
  const place = (u: DesiredUnit) => store.put(keys.desiredUnit(u.service, u.unit), JSON.stringify(u));
  const running = async () => (await driver.list()).filter((r) => r.state === 'running').map((r) => r.unit).sort();

  before(async () => {
    chmodSync(dir, 0o755);
    mkdirSync(marks, { recursive: true });
    chmodSync(marks, 0o777);
    await session.start();
    await store.put(keys.latest('web'), '1');
    await place(unit(1, HOST));
    await place(unit(2, HOST));
    reconciler = new Reconciler({ store, driver, session, hostId: HOST, endpointAddress: '127.0.0.1', probeAddress: '127.0.0.1', logger: pino({ level: 'silent' }), resyncMs: 300 });
    await reconciler.start();
  });
  after(async () => {
    await reconciler?.stop();
    for (const r of await driver.list()) {
      await driver.stop(r.unit, 1).catch(() => undefined);
      await driver.remove(r.unit).catch(() => undefined);
    }
    await session.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops everything gracefully, starts nothing while fenced, and on rejoin starts only what is still placed here', async () => {
    await waitFor('both units running', async () => JSON.stringify(await running()) === JSON.stringify(['web-1-1', 'web-1-2']), 30_000);
    await waitFor('both units listening for SIGTERM', async () => existsSync(join(marks, 'web-1-1.up')) && existsSync(join(marks, 'web-1-2.up')), 30_000);
    await waitFor('their statuses written', async () => session.has(keys.unitStatus('web-1-1')) && session.has(keys.unitStatus('web-1-2')), 10_000);

    const stopped = reconciler.fence();
    assert.deepEqual(stopped.sort(), ['web-1-1', 'web-1-2']);
    await waitFor('every unit stopped and removed', async () => (await driver.list()).length === 0, 30_000);
    assert.ok(existsSync(join(marks, 'web-1-1.term')) && existsSync(join(marks, 'web-1-2.term')), 'stopped with SIGTERM first (a graceful stop)');
    assert.ok(!session.has(keys.unitStatus('web-1-1')) && !session.has(keys.unitStatus('web-1-2')), 'their statuses are dropped from the lease session, never written again');
    assert.deepEqual([...reconciler.fenced.keys()].sort(), ['web-1-1', 'web-1-2'], 'marked locally as fenced');

    // while fenced, the store changes: web-1-2 is placed elsewhere, web-1-3 is placed here; nothing starts
    await place(unit(2, OTHER));
    await place(unit(3, HOST));
    await sleep(1500);
    assert.deepEqual(await running(), [], 'nothing starts while fenced');

    assert.deepEqual(reconciler.rejoin().sort(), ['web-1-1', 'web-1-2']);
    await waitFor('web-1-1 and web-1-3 running again', async () => JSON.stringify(await running()) === JSON.stringify(['web-1-1', 'web-1-3']), 30_000);
    await sleep(1500);
    assert.deepEqual(await running(), ['web-1-1', 'web-1-3'], 'the unit placed elsewhere stays stopped here');
    assert.equal(reconciler.fenced.size, 0);
  });
});
