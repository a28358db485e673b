// An agent writes a unit's transient states (pulling, starting) only when they last: an instant pull and a
// quick start reach the store as one write of 'running', a slow start shows as 'starting' while it lasts.
// Real unit processes (process driver) on a real store (SQLite); the driver's start is held by the test to
// make a start slow or quick (a wrapper: the real driver starts the real process once it is let go). A
// unit that dies at once, or cannot start, still has its exit or failure written, however long the
// suppressed transient states would have waited.
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
  /** every status written for each unit, in order */
  const records = new Map<string, UnitStatus[]>();
  let reconciler: Reconciler;
  let cancel: (() => Promise<void>) | undefined;

  const unit = (instance: number, command = [process.execPath, '-e', 'setInterval(() => {}, 1000)']): DesiredUnit => ({
    unit: `web-1-${instance}`,
    service: 'web',
    version: 1,
    instance,
    host: HOST,
    createdAt: 1,
    spec: { image: 'local/web', ports: [], env: {}, volumes: [], stopGraceSeconds: 1, command },
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
        records.set(s.unit, [...(records.get(s.unit) ?? []), s]);
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

  // A unit that dies at once is over before its suppressed 'starting' would have been written: its exit must
  // still reach the store, with its code and what it printed, and be the first thing written after the
  // instant it ran (no 'pulling' or 'starting' standing for it, none of the restart's 'starting' before it).
  it('a unit that crashes at once: its exit is written, with the exit code and its last output', async () => {
    await place(unit(3, ['sh', '-c', 'echo "reading config"; echo "config.yml not found" >&2; exit 3']));
    await waitFor('web-1-3 reported exited', async () => statesOf('web-1-3').includes('exited'), 30_000);
    const all = records.get('web-1-3')!;
    const upToExit = all.slice(0, all.findIndex((s) => s.state === 'exited') + 1);
    // 'running' and 'healthy' (no health path) may be written first when the exit is noticed a moment later
    assert.deepEqual(upToExit.slice(0, -1).filter((s) => !['running', 'healthy'].includes(s.state)), [], `states written: ${statesOf('web-1-3').join(', ')}`);
    const exited = upToExit.at(-1)!;
    assert.equal(exited.exitCode, 3, JSON.stringify(exited));
    assert.equal(exited.restarts, 0, JSON.stringify(exited));
    assert.deepEqual(exited.lastOutput, ['reading config', 'config.yml not found'], JSON.stringify(exited));
    assert.match(exited.reason ?? '', /exited with code 3: config.yml not found/);
    assert.equal(exited.healthy, false);
    // and the restart after the backoff writes its own states after it
    await waitFor('web-1-3 restarted', async () => records.get('web-1-3')!.some((s) => s.restarts === 1), 30_000);
  });

  it('a unit whose program is not there: the first state written is failed, saying why', async () => {
    await place(unit(4, ['/nonexistent/paz-test-program']));
    await waitFor('web-1-4 reported', async () => statesOf('web-1-4').length > 0, 30_000);
    const first = records.get('web-1-4')![0]!;
    assert.equal(first.state, 'failed', `states written: ${statesOf('web-1-4').join(', ')}`);
    assert.match(first.reason ?? '', /IMAGE_NOT_FOUND: program "\/nonexistent\/paz-test-program" is not an executable file/);
  });
});
