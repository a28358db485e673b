// test-lane: heavy slow
/**
 * 1,000 units crash-looping together on one agent: every one a real program that dies at once (`sh -c`,
 * exit 1, no health path: the default), on the real agent (startAgent: its BoundedDriver, Pacer, lease
 * session, heartbeat) with the process driver and a SQLite store, all in this process so its event loop is
 * the agent's. What must hold while they loop:
 * - each unit's restarts back off (restartDelayMs: 1 s, 2 s, 4 s, ...): a unit never restarts more often
 *   than the backoff allows in the time it has been looping;
 * - the store is not flooded: a unit's status is written a few times per restart (starting, running,
 *   exited), so at most a few times in any second;
 * - the event loop is never blocked (no window over BLOCKED_MS; the windows over LAG_PRINT_MS are printed,
 *   not asserted: on a 2-core machine running other tests some come from the machine, not from Paz);
 * - nothing the agent writes under its lease fails (no status write or heartbeat failed).
 * The bounds are counts against the time that passed: a slow machine only makes them easier to meet.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { ProcessDriver } from '../src/agent/drivers/process/process-driver.js';
import { startAgent, type Agent } from '../src/agent/agent.js';
import { keys } from '../src/core/keys.js';
import type { DesiredUnit, UnitStatus } from '../src/core/records.js';
import { tmpDir } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';
import { removeCgroupParent } from './helpers/procs.js';

const N = Number(process.env.PAZ_CRASH_LOOP_UNITS ?? 1000);
/** how long the units loop once all of them have exited once */
const LOOP_MS = 30_000;
/** the longest event-loop delay allowed in any window: a loop over 1,000 units done in one go blocks for seconds */
const BLOCKED_MS = 1000;
/** windows whose longest delay is over this are printed */
const LAG_PRINT_MS = 50;
const LAG_WINDOW_MS = 500;
const LAG_RESOLUTION_MS = 10;
/**
 * Status writes of one unit in one second, at most. A launch writes at most pulling, starting, running,
 * healthy (no health path: healthy once running) and exited, a restart the last four; the backoff puts a
 * second at least between an exit and the next restart, so one second never holds more than one launch's.
 */
const WRITES_PER_UNIT_SECOND = 5;
/** status writes of one launch or restart, at most (above) */
const WRITES_PER_LAUNCH = 5;

/**
 * The most restarts a unit may have made within `ms` of its first exit: restart k waits 1 s × 2^k, 30 s at
 * most (the restart backoff, health-policy.ts restartDelayMs; written out here, so a change there shows).
 */
const backoffMs = (k: number) => Math.min(30_000, 1000 * 2 ** k);
function restartsAllowedWithin(ms: number): number {
  const delay = backoffMs;
  let n = 0;
  for (let waited = delay(0); waited <= ms; waited += delay(++n));
  return n;
}

describe(`${N} units crash-looping together on one agent`, () => {
  const dir = tmpDir('paz-crash-loop-');
  const cgroupParent = `paz-crash-loop-${process.pid}`;
  const store = new SqliteStore(join(dir, 'paz.db'));
  const driver = new ProcessDriver(join(dir, 'driver'), { cgroupParent, logger: { info: () => undefined, warn: () => undefined } });
  let warnings = '';
  const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _enc, done) => ((warnings += String(chunk)), done()) }));
  let agent: Agent | undefined;
  let cancelWatch: (() => Promise<void>) | undefined;
  /** every status write seen, by unit: when (ms since the epoch), the state and the restart count */
  const writes = new Map<string, Array<{ at: number; state: string; restarts: number; updatedAt: number; exitCode?: number }>>();

  const unit = (instance: number, hostId: string): DesiredUnit => ({
    unit: `crash-1-${instance}`,
    service: 'crash',
    version: 1,
    instance,
    host: hostId,
    createdAt: 1,
    spec: { image: 'local/crash', ports: [], env: {}, volumes: [], stopGraceSeconds: 1, command: ['sh', '-c', 'echo "crash $PAZ_INSTANCE: config not found"; exit 1'] },
  });

  before(async () => {
    const watch = await store.watch(keys.unitStatusPrefix(), (events) => {
      const at = Date.now();
      for (const e of events) {
        if (e.type !== 'put') continue;
        const s = JSON.parse(e.value) as UnitStatus;
        let list = writes.get(s.unit);
        if (!list) writes.set(s.unit, (list = []));
        list.push({ at, state: s.state, restarts: s.restarts, updatedAt: s.updatedAt, ...(s.exitCode !== undefined ? { exitCode: s.exitCode } : {}) });
      }
    });
    cancelWatch = () => watch.cancel();
    agent = await startAgent({ store, driver, logger, dataDir: join(dir, 'agent'), address: '127.0.0.1', bind: '127.0.0.1', port: 0, clusterToken: 'crash-loop-test-token-0123456789abcdef' });
  });

  after(async () => {
    await cancelWatch?.();
    await agent?.stop();
    // the agent leaves units running for the next agent (none comes): whatever one restart left, with its cgroups
    await removeCgroupParent(cgroupParent);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('back off, write their statuses a few times a second at most, and never block the event loop', async () => {
    const hostId = agent!.hostId;
    const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
    lag.enable();
    /** the longest delay in each window, in ms */
    const windows: number[] = [];
    const sampler = setInterval(() => {
      if (lag.count > 0) windows.push(Math.max(0, lag.max / 1e6 - LAG_RESOLUTION_MS));
      lag.reset();
    }, LAG_WINDOW_MS);
    try {
      // placed as a scheduler places them: one desired-unit record each, written together, committed by the
      // service's latest version
      await store.put(keys.latest('crash'), '1');
      await Promise.all(Array.from({ length: N }, (_, i) => unit(i + 1, hostId)).map((u) => store.put(keys.desiredUnit(u.service, u.unit), JSON.stringify(u))));
      const firstExit = (u: string) => writes.get(u)?.find((w) => w.state === 'exited')?.at;
      await waitFor(`all ${N} units exited once`, async () => writes.size === N && [...writes.keys()].every((u) => firstExit(u) !== undefined), 120_000, 500);
      const allExited = Date.now();
      console.log(`# all ${N} exited once ${Math.round((allExited - Math.min(...[...writes.values()].map((w) => w[0]!.at))) / 100) / 10} s after the first status write`);
      await new Promise((r) => setTimeout(r, LOOP_MS));
    } finally {
      clearInterval(sampler);
      lag.disable();
    }
    const end = Date.now();

    // every unit's restarts: no more than the backoff allows since its first exit
    let restartsTotal = 0;
    let worstRestarts = { unit: '', restarts: 0, allowed: Infinity };
    for (const [u, list] of writes) {
      const exitedAt = list.find((w) => w.state === 'exited')!.at;
      const restarts = Math.max(...list.map((w) => w.restarts));
      const allowed = restartsAllowedWithin(end - exitedAt);
      restartsTotal += restarts;
      if (restarts - allowed > worstRestarts.restarts - worstRestarts.allowed) worstRestarts = { unit: u, restarts, allowed };
      assert.ok(restarts <= allowed, `${u} restarted ${restarts} times in ${end - exitedAt} ms since its first exit; the backoff allows ${allowed}`);
      assert.ok(list.some((w) => w.state === 'exited' && w.exitCode === 1), `${u}: an exit with code 1 written (${JSON.stringify(list.slice(0, 4))})`);
    }
    // and each restart waited its backoff after the exit before it (the statuses' own times: the exit's is
    // taken before its write, the restart's timer starts after it, so no store or loop delay shortens the gap)
    let closest = { unit: '', restarts: 0, gapMs: Infinity, backoffMs: 0 };
    for (const [u, list] of writes) {
      let exitedAt: number | undefined;
      for (const w of list) {
        if (w.state === 'exited') exitedAt = w.updatedAt;
        if (w.state !== 'starting' || exitedAt === undefined || w.restarts === 0) continue;
        const gapMs = w.updatedAt - exitedAt;
        const wanted = backoffMs(w.restarts - 1);
        if (gapMs / wanted < closest.gapMs / (closest.backoffMs || 1)) closest = { unit: u, restarts: w.restarts, gapMs, backoffMs: wanted };
        // a timer may fire a millisecond early by the wall clock
        assert.ok(gapMs >= wanted - 5, `${u}: restart ${w.restarts} began ${gapMs} ms after the exit before it; the backoff is ${wanted} ms`);
        exitedAt = undefined;
      }
    }
    console.log(`# the restart closest to its backoff: ${JSON.stringify(closest)}`);
    assert.ok(restartsTotal >= N, `the units kept looping (${restartsTotal} restarts in all)`);

    // status writes per unit and second
    let peak = { unit: '', second: 0, writes: 0 };
    let total = 0;
    for (const [u, list] of writes) {
      const perSecond = new Map<number, number>();
      for (const w of list) perSecond.set(Math.floor(w.at / 1000), (perSecond.get(Math.floor(w.at / 1000)) ?? 0) + 1);
      for (const [second, n] of perSecond) if (n > peak.writes) peak = { unit: u, second, writes: n };
      total += list.length;
    }
    const seconds = (end - Math.min(...[...writes.values()].map((w) => w[0]!.at))) / 1000;
    const over = windows.filter((ms) => ms > LAG_PRINT_MS);
    console.log(`# the unit closest to its backoff's bound: ${JSON.stringify(worstRestarts)}`);
    console.log(`# ${N} units, ${restartsTotal} restarts (${Math.round(restartsTotal / N * 10) / 10} a unit); ${total} status writes in ${Math.round(seconds)} s (${Math.round(total / seconds)}/s, ${Math.round(total / N / seconds * 100) / 100} a unit a second; the most in one second for one unit: ${peak.writes})`);
    console.log(`# event loop: ${over.length} of ${windows.length} windows of ${LAG_WINDOW_MS} ms over ${LAG_PRINT_MS} ms (${over.map((ms) => Math.round(ms)).join(', ')}); the worst ${Math.round(Math.max(0, ...windows))} ms`);
    assert.ok(total <= WRITES_PER_LAUNCH * (N + restartsTotal), `${total} status writes for ${N} launches and ${restartsTotal} restarts (at most ${WRITES_PER_LAUNCH} each)`);
    assert.ok(peak.writes <= WRITES_PER_UNIT_SECOND, `${peak.unit} had ${peak.writes} status writes in one second (at most ${WRITES_PER_UNIT_SECOND}): ${JSON.stringify(writes.get(peak.unit)!.filter((w) => Math.floor(w.at / 1000) === peak.second))}`);
    assert.doesNotMatch(warnings, /status write failed|heartbeat failed|lease .* not found/, 'nothing under the lease failed');
    const blocked = windows.filter((ms) => ms > BLOCKED_MS);
    assert.equal(blocked.length, 0, `the event loop was blocked for over ${BLOCKED_MS} ms in ${blocked.length} windows (${blocked.map((ms) => Math.round(ms)).join(', ')} ms)`);
  });
});
