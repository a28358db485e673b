// Issue 8, "Hosts and leftovers": a kill -9 of `paz up` at a random moment of deploys and scales (the process
// driver, its router on) leaves nothing behind once the next start has converged: no unit process that is not
// desired (leaked), no unit running twice (duplicates), no HAProxy that is not the running paz's (orphaned
// routers). Also kills landing between a unit's spawn and its state file: the launch intent covers them.
//
//   CI round (default 6 kills):  node scripts/run-tests.mjs kill9-leftovers
//   full round (50 kills):        PAZ_KILL9_FULL=1 node scripts/run-tests.mjs kill9-leftovers (or npm run test:full-loops)
//   any count / a given seed:     PAZ_KILL9_ITERATIONS=20 PAZ_KILL9_SEED=7 node scripts/run-tests.mjs kill9-leftovers
// test-lane: light slow
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PazProcess, request, freePort, pazBin } from './helpers/paz-server.js';
import { envOf, haproxyMastersOf, haproxyOf, pidsWithEnv } from './helpers/procs.js';
import { prng } from './helpers/prng.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const FULL = process.env.PAZ_KILL9_FULL === '1';
const ITERATIONS = Number(process.env.PAZ_KILL9_ITERATIONS ?? (FULL ? 50 : 6));
const SEED = Number(process.env.PAZ_KILL9_SEED ?? Date.now() % 100_000);

// a unit that takes a moment to listen, like a real app; no health path
const appServer = `setTimeout(() => require('node:http').createServer((q, s) => s.end('ok ' + process.env.PAZ_UNIT + '\\n')).listen(Number(process.env.PORT), '127.0.0.1'), 300);
process.on('SIGTERM', () => process.exit(0));`;

interface Census {
  units: number;
  processes: number;
  leaked: string[];
  duplicates: string[];
  orphanedRouters: number[];
  settled: boolean;
}

describe('kill -9 of paz up during deploys and scales', { timeout: (ITERATIONS + 2) * 150_000 }, () => {
  const cgroupParent = `paz-kill9-${process.pid}`;
  const token = `kill9-${process.pid}`;
  let paz: PazProcess;

  /** What runs now, against what is desired. */
  const census = async (): Promise<Census> => {
    const units = (await request('GET', `${paz.orchestrator}/services/churn/units`)).body as Array<{ name: string; state: string; version: number }>;
    const rollout = (await request('GET', `${paz.orchestrator}/services/churn/rollout`)).body.doc as { state: string };
    const wanted = (await request('GET', `${paz.orchestrator}/services/churn`)).body.doc.config.numInstances as number;
    const desired = new Set(units.map((u) => u.name));
    const perUnit = new Map<string, number>();
    const pids = pidsWithEnv('KILL9_RUN', token);
    for (const pid of pids) {
      const unit = envOf(pid, 'PAZ_UNIT') ?? `pid-${pid}`;
      perUnit.set(unit, (perUnit.get(unit) ?? 0) + 1);
    }
    const leaked = [...perUnit.keys()].filter((u) => !desired.has(u));
    const duplicates = [...perUnit].filter(([, n]) => n > 1).map(([u, n]) => `${u} x${n}`);
    const masters = haproxyMastersOf(paz.dataDir);
    const orphanedRouters = masters.filter((m) => m.ppid !== paz.child?.pid).map((m) => m.pid);
    const settled =
      rollout.state !== 'deploying' &&
      masters.length === 1 &&
      // the deploy finished: the old version drained away
      new Set(units.map((u) => u.version)).size <= 1 &&
      units.length === wanted &&
      units.every((u) => (u.state === 'running' || u.state === 'healthy') && perUnit.get(u.name) === 1);
    return { units: units.length, processes: pids.length, leaked, duplicates, orphanedRouters, settled };
  };

  /** Waits until the restarted paz has converged (twice in a row), or reports what it saw last. */
  const converge = async (): Promise<Census> => {
    const deadline = Date.now() + 120_000;
    let last: Census | undefined;
    let clean = 0;
    while (Date.now() < deadline) {
      last = await census().catch(() => last);
      const ok = last && last.settled && last.leaked.length === 0 && last.duplicates.length === 0 && last.orphanedRouters.length === 0;
      clean = ok ? clean + 1 : 0;
      if (clean >= 2) return last!;
      await sleep(500);
    }
    return last ?? { units: 0, processes: 0, leaked: ['no census'], duplicates: [], orphanedRouters: [], settled: false };
  };

  before(async () => {
    const routerPort = await freePort();
    paz = new PazProcess({ role: 'up', extraArgs: ['--driver', 'process', '--agent-port', '0', '--router-port', String(routerPort), '--router-bind', '127.0.0.1', '--cgroup-parent', cgroupParent] });
    await paz.start();
    const created = await request('POST', `${paz.orchestrator}/services`, {
      name: 'churn',
      dockerRepository: 'local/churn',
      command: [process.execPath, '-e', appServer],
      env: { KILL9_RUN: token },
      ports: [{ container: 9000 }],
      numInstances: 2,
      rollout: { drainSeconds: 1, stopGraceSeconds: 2 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await request('POST', `${paz.orchestrator}/services/churn/deploy`, {})).status, 201);
  });
  after(async () => {
    await paz.kill();
    const down = await run(process.execPath, [pazBin, 'down', '--data-dir', paz.dataDir, '--cgroup-parent', cgroupParent, '--grace', '2'], { timeout: 120_000 });
    console.log(`after a last kill -9, ${down.stdout.trim()}`);
    assert.deepEqual(haproxyOf(paz.dataDir), [], 'paz down left no HAProxy');
    assert.deepEqual(pidsWithEnv('KILL9_RUN', token), [], 'paz down left no unit process');
    await paz.close();
  });

  it(`${ITERATIONS} random kill -9s leave no leaked process, no unit twice, no orphaned router`, async () => {
    const rnd = prng(SEED);
    console.log(`kill -9 loop: ${ITERATIONS} iterations, seed ${SEED}`);
    await converge();
    let leaks = 0;
    let duplicates = 0;
    let orphanedRouters = 0;
    let unsettled = 0;
    for (let i = 1; i <= ITERATIONS; i++) {
      const scaleTo = 1 + Math.floor(rnd() * 5);
      const op = rnd() < 0.5 ? 'deploy' : `scale to ${scaleTo}`;
      const fired =
        op === 'deploy'
          ? request('POST', `${paz.orchestrator}/services/churn/deploy`, {})
          : request('POST', `${paz.orchestrator}/services/churn/scale`, { numInstances: scaleTo });
      fired.catch(() => undefined); // the kill may cut it off
      const delay = Math.floor(rnd() * 1500);
      await sleep(delay);
      await paz.kill();
      await paz.start();
      const c = await converge();
      leaks += c.leaked.length;
      duplicates += c.duplicates.length;
      orphanedRouters += c.orphanedRouters.length;
      if (!c.settled) unsettled++;
      console.log(
        `iteration ${i}: ${op}, kill -9 after ${delay} ms -> ${c.units} units, ${c.processes} processes, ` +
          `leaked [${c.leaked.join(' ')}], duplicates [${c.duplicates.join(' ')}], orphaned routers [${c.orphanedRouters.join(' ')}]${c.settled ? '' : ', NOT SETTLED'}`,
      );
    }
    console.log(`kill -9 loop: iterations=${ITERATIONS} leaks=${leaks} duplicates=${duplicates} orphanedRouters=${orphanedRouters} unsettled=${unsettled} seed=${SEED}`);
    assert.equal(leaks, 0, 'leaked processes');
    assert.equal(duplicates, 0, 'units running twice');
    assert.equal(orphanedRouters, 0, 'orphaned HAProxy');
    assert.equal(unsettled, 0, 'every restart converged');
  });
});
