// An agent writes a unit's transient states (pulling, starting) only when they last: an instant pull and a
// quick start reach the store as one write of 'running', a slow start shows as 'starting' while it lasts.
// Real unit processes (process driver) on a real store (SQLite); the driver's start is held by the test to
// make a start slow or quick (a wrapper: the real driver starts the real process once it is let go).
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { LeaseSession } from '../src/state/lease-session.js';
import { ProcessDriver } from '../src/agent/drivers/process/process-driver.js';
import type { Driver, UnitRuntime, UnitSpec } from '../src/agent/drivers/driver.js';
import { Reconciler } from '../src/agent/reconciler.js';
import { keys } from '../src/core/keys.js';
import type { DesiredUnit, UnitStatus } from '../src/core/records.js';
import { waitFor } from './helpers/wait.js';

const HOST = 'a'.repeat(32);
/** long enough that a quick start never reaches it, however busy the machine */
const TRANSIENT_MS = 3_000;

describe('transient unit states reach the store only when they last', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paz-transient-'));
  const store = new SqliteStore(':memory:');
  const session = new LeaseSession(store, { ttlSeconds: 30 });
  const inner = new ProcessDriver(join(dir, 'driver'), { useCgroups: false, logger: { info: () => undefined, warn: () => undefined } });
  /** how long the test holds each unit's start, by unit */
  const holdStart = new Map<string, number>();
  const driver: Driver = Object.create(inner, {
    start: {
      value: async (spec: UnitSpec): Promise<UnitRuntime> => {
        await new Promise((r) => setTimeout(r, holdStart.get(spec.unit) ?? 0));
        return inner.start(spec);
      },
    },
  });
  /** every state written for each unit, in order, from the store's own events */
  const written = new Map<string, string[]>();
  let reconciler: Reconciler;
  let cancel: (() => Promise<void>) | undefined;

  const unit = (instance: number): DesiredUnit => ({
    unit: `web-1-${instance}`,
    service: 'web',
    version: 1,
    instance,
    host: HOST,
    createdAt: 1,
    spec: { image: 'local/web', ports: [], env: {}, volumes: [], stopGraceSeconds: 1, command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'] },
  });
  const place = (u: DesiredUnit) => store.put(keys.desiredUnit(u.service, u.unit), JSON.stringify(u));
  const statesOf = (u: string) => written.get(u) ?? [];

  before(async () => {
    await session.start();
    await store.put(keys.latest('web'), '1');
    const watch = await store.watch(keys.unitStatusPrefix(), (events) => {
      for (const e of events) {
        if (e.type !== 'put') continue;
        const s = JSON.parse(e.value) as UnitStatus;
        written.set(s.unit, [...statesOf(s.unit), s.state]);
      }
    });
    cancel = () => watch.cancel();
    reconciler = new Reconciler({ store, driver, session, hostId: HOST, endpointAddress: '127.0.0.1', probeAddress: '127.0.0.1', logger: pino({ level: 'silent' }), resyncMs: 300, transientReportMs: TRANSIENT_MS });
    await reconciler.start();
  });
  after(async () => {
    await cancel?.();
    await reconciler?.stop();
    for (const r of await inner.list()) {
      await inner.stop(r.unit, 1).catch(() => undefined);
      await inner.remove(r.unit).catch(() => undefined);
    }
    await session.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an instant pull and a quick start: the first state written is the running one', async () => {
    // a start of 50 ms: every status was written when the runner reported it (5 ms batches), 'starting' included
    holdStart.set('web-1-1', 50);
    await place(unit(1));
    await waitFor('web-1-1 reported running', async () => statesOf('web-1-1').length > 0, 30_000);
    assert.ok(['running', 'healthy'].includes(statesOf('web-1-1')[0]), `states written: ${statesOf('web-1-1').join(', ')}`);
  });

  it('a slow start shows as starting while it lasts, then running', async () => {
    holdStart.set('web-1-2', TRANSIENT_MS + 2_000);
    await place(unit(2));
    await waitFor('web-1-2 reported starting', async () => statesOf('web-1-2').length > 0, 30_000);
    assert.equal(statesOf('web-1-2')[0], 'starting', `states written: ${statesOf('web-1-2').join(', ')}`);
    await waitFor('web-1-2 reported running', async () => statesOf('web-1-2').some((s) => s === 'running' || s === 'healthy'), 30_000);
    assert.ok(!statesOf('web-1-2').includes('pulling'), 'the instant pull was never written');
  });
});
