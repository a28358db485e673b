#!/usr/bin/env node
// Runs the compiled tests (`npm test` builds first, then runs this).
//
//   node scripts/run-tests.mjs                 all tests in dist/src and dist/test, in the test environment
//   node scripts/run-tests.mjs docker store    only test files whose path contains "docker" or "store"
//   node scripts/run-tests.mjs --unit          only dist/src unit tests, no environment
//   node scripts/run-tests.mjs --no-env store  the selected files without the environment (Docker tests skip)
//   node scripts/run-tests.mjs --lanes 1       one file at a time (default: PAZ_TEST_LANES or 3 lanes)
//   node scripts/run-tests.mjs -- bash         any command inside the environment instead of the tests
//                                              (with DOCKER_HOST, PAZ_TEST_* set; for debugging a test)
//
// As root with dockerd installed, the tests run inside test environments made for this run (see
// lib/test-env.mjs): each a network namespace with its own dockerd and a registry holding the hello images.
// Two of them (PAZ_TEST_ENVIRONMENTS, default 2, when two or more files hold a dockerd): a file that holds
// one (`docker` in its test-lane line) runs in whichever has its dockerd free, the others in the first.
// Otherwise they run without it and Docker tests skip, unless CI=true or PAZ_TEST_REQUIRE_DOCKER=1, where
// a missing environment is a failure. The environment is always torn down: pass, fail, Ctrl-C or crash
// (after a failed run the daemons' logs are kept in $TMPDIR/paz-test-logs-<runner PID>[-s1]/), and one left
// behind by a runner that was killed outright is cleaned up by the next run.
//
// Lanes (lib/test-lanes.mjs): each file under dist/test runs in its own `node --test` process, the unit
// tests together in one; up to --lanes of them at once, a file only beside files its `// test-lane:` line
// allows (a file without one runs alone). Each file's output is held until it ends and printed in one
// piece, with its result and time; a summary of all of them comes last.
//
// Env: PAZ_TEST_TIMEOUT_MS bounds the whole run (default 50 min: the suite takes 20-27 min on a 2-core
// machine, CI allows 90 min for install, build and tests); PAZ_TEST_PER_TEST_TIMEOUT_MS bounds
// each test, and (Node 20) each test file as a whole (default 10 min).
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { log } from './lib/log.mjs';
import { coresBusy, cpuTicks } from './lib/machine-cpu.mjs';
import { stopProcess } from './lib/processes.mjs';
import { findTestFiles } from './lib/test-files.mjs';
import { environmentFor, laneOrder, nextToStart, readLaneNeeds, UNIT_BATCH } from './lib/test-lanes.mjs';
import { environmentSupport, reapStaleEnvironments, TestEnvironment } from './lib/test-env.mjs';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

function parseArgs(argv) {
  const opts = { unit: false, noEnv: false, filters: [], command: undefined, lanes: Number(process.env.PAZ_TEST_LANES ?? 3), environments: Number(process.env.PAZ_TEST_ENVIRONMENTS ?? 2) };
  const dashes = argv.indexOf('--');
  if (dashes >= 0) {
    opts.command = argv.slice(dashes + 1);
    argv = argv.slice(0, dashes);
    if (opts.command.length === 0) throw new Error('-- must be followed by a command');
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--unit') opts.unit = true;
    else if (arg === '--no-env') opts.noEnv = true;
    else if (arg === '--help' || arg === '-h') opts.help = true;
    else if (arg === '--lanes' || arg.startsWith('--lanes=')) {
      opts.lanes = Number(arg.includes('=') ? arg.slice('--lanes='.length) : argv[++i]);
    } else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else opts.filters.push(arg);
  }
  if (!Number.isInteger(opts.lanes) || opts.lanes < 1) throw new Error('--lanes (or PAZ_TEST_LANES) must be a whole number from 1');
  if (!Number.isInteger(opts.environments) || opts.environments < 1) throw new Error('PAZ_TEST_ENVIRONMENTS must be a whole number from 1');
  return opts;
}

const requireEnvironment = () => process.env.CI === 'true' || process.env.PAZ_TEST_REQUIRE_DOCKER === '1';

/** the children running now (build, test files, a `--` command), killed by PID when the runner is interrupted */
const running = new Set();
/** the test environments made for this run (slot 0, then 1): torn down at the end whatever happened */
const environments = [];
let exiting = false;

async function shutdown(code, why, { interrupted = false } = {}) {
  if (exiting) return;
  exiting = true;
  if (why) log(why);
  // let them finish their own cleanup before the daemons they talk to go away
  await Promise.all([...running].map(async (child) => {
    if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
    const result = await stopProcess(child.pid, 15_000);
    if (result === 'killed') log(`PID ${child.pid} needed SIGKILL`);
  }));
  const problems = [];
  if (environments.length > 0) {
    if (code !== 0 && !interrupted) {
      for (const environment of environments) {
        try {
          const saved = environment.saveLogs();
          if (saved) log(`daemon logs saved in ${saved}`);
        } catch (err) {
          log(`could not save the daemon logs: ${err instanceof Error ? err.message : err}`);
        }
      }
    }
    log(`tearing down the test environment${environments.length > 1 ? 's' : ''}`);
    // the last made first: the first one's teardown then removes what both daemons left in /run (teardown
    // removes those dirs only once empty)
    for (const environment of [...environments].reverse()) problems.push(...(await environment.stop()));
  }
  for (const p of problems) log(`cleanup problem: ${p}`);
  process.exit(problems.length > 0 && code === 0 ? 1 : code);
}

for (const sig of Object.keys(SIGNAL_EXIT)) {
  process.on(sig, () => {
    if (exiting) log(`${sig}: teardown already in progress`);
    else void shutdown(SIGNAL_EXIT[sig], `${sig} received`, { interrupted: true });
  });
}
process.on('uncaughtException', (err) => void shutdown(1, `runner crashed: ${err?.stack ?? err}`));
process.on('unhandledRejection', (err) => void shutdown(1, `runner crashed: ${err?.stack ?? err}`));

function nodeTestCommand(files) {
  const perTest = Number(process.env.PAZ_TEST_PER_TEST_TIMEOUT_MS ?? 10 * 60_000);
  // spec reporter: prints the "ℹ tests N / ℹ pass N / ℹ fail N" summary also when stdout is not a TTY
  return [process.execPath, '--test', '--test-reporter=spec', `--test-timeout=${perTest}`, ...files];
}

/**
 * Spawns argv (inside the namespace of `environment` when one is given), registered in `running` until it
 * closes. stdio 'inherit', or 'collect' to gather stdout and stderr, in the order they came, into one text.
 * Resolves { code, output }.
 */
function runChild(argv, extraEnv, stdio = 'inherit', { environment } = {}) {
  const { command, args } = environment
    ? environment.wrap(argv[0], argv.slice(1))
    : { command: argv[0], args: argv.slice(1) };
  return new Promise((resolve) => {
    const collect = stdio === 'collect';
    const child = spawn(command, args, {
      cwd: repoRoot,
      stdio: collect ? ['ignore', 'pipe', 'pipe'] : 'inherit',
      env: { ...process.env, ...extraEnv },
    });
    running.add(child);
    const chunks = [];
    if (collect) {
      child.stdout.on('data', (d) => chunks.push(d));
      child.stderr.on('data', (d) => chunks.push(d));
    }
    const done = (code) => {
      running.delete(child);
      resolve({ code, output: Buffer.concat(chunks).toString('utf8') });
    };
    child.on('error', (err) => {
      chunks.push(Buffer.from(`could not start ${argv[0]}: ${err.message}\n`));
      done(1);
    });
    child.on('close', (code, sig) => done(code ?? (sig ? 1 : 0)));
  });
}

/** the runner's whole-run bound: past it, every child still running is killed (by PID) */
function startTotalTimer() {
  const totalTimeout = Number(process.env.PAZ_TEST_TIMEOUT_MS ?? 50 * 60_000);
  const timer = setTimeout(() => {
    timedOut = true;
    log(`still running after ${Math.round(totalTimeout / 1000)} s: stopping them`);
    for (const child of running) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }, totalTimeout);
  timer.unref();
  return timer;
}
let timedOut = false;

const COUNTS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo'];

/** the spec reporter's closing "ℹ pass 12" lines of one `node --test` run */
function countsOf(output) {
  const counts = {};
  for (const name of COUNTS) {
    const m = new RegExp(`^ℹ ${name} (\\d+)$`, 'm').exec(output);
    counts[name] = m ? Number(m[1]) : 0;
  }
  return counts;
}

/**
 * The unit batch (one `node --test` over all unit files; pure functions, temp dirs: it needs no environment
 * and runs while the environment is being set up) and one item per integration test file.
 */
function testItems(files) {
  const unit = files.filter((f) => !f.startsWith('dist/test/'));
  const items = files.filter((f) => f.startsWith('dist/test/')).map((f) => ({ name: f, files: [f], needs: readLaneNeeds(join(repoRoot, f)), needsEnv: true }));
  if (unit.length > 0) items.push({ name: `unit tests (${unit.length} file${unit.length === 1 ? '' : 's'})`, files: unit, needs: UNIT_BATCH, needsEnv: false });
  return laneOrder(items);
}

/**
 * Runs the items in up to `lanes` processes at once (lib/test-lanes.mjs decides which may run together),
 * printing each item's output in one piece when it ends. Items that need an environment wait for the first
 * of `environmentsReady` (one promise per environment, resolving to { environment, vars } when it is ready,
 * or to undefined without one); the others may start at once. A file holding a resource runs in an
 * environment where no running file holds it. Resolves the exit code: 0 when every item passed.
 */
async function runLanes(items, lanes, environmentsReady) {
  const started = Date.now();
  const queue = [...items];
  const active = [];
  const results = [];
  /** the environments ready so far, by slot: { environment, vars } (environment undefined: none, vars {}) */
  const ready = [];
  const usable = () => {
    let n = 0;
    while (ready[n]) n++;
    return n;
  };
  let allDone;
  const finished = new Promise((resolve) => (allDone = resolve));
  const startMore = () => {
    while (!exiting && !timedOut && active.length < lanes) {
      const count = usable();
      const item = nextToStart(count > 0 ? queue : queue.filter((it) => !it.needsEnv), active, Math.max(count, 1));
      if (!item) break;
      queue.splice(queue.indexOf(item), 1);
      item.environment = item.needsEnv ? environmentFor(item, active, count) : 0;
      // what ran beside each file at any moment of its run, for its report
      item.beside = new Set(active.map((a) => a.name));
      for (const a of active) a.beside.add(item.name);
      active.push(item);
      const where = item.environment > 0 ? ` in environment ${item.environment}` : '';
      log(`start ${item.name}${where}${item.beside.size ? ` (beside ${[...item.beside].join(', ')})` : ''}`);
      const t0 = Date.now();
      const ticks0 = cpuTicks();
      const { environment, vars } = item.needsEnv ? ready[item.environment] : { environment: undefined, vars: {} };
      void runChild(nodeTestCommand(item.files), vars, 'collect', { environment }).then(({ code, output }) => {
        active.splice(active.indexOf(item), 1);
        const seconds = (Date.now() - t0) / 1000;
        const cores = coresBusy(ticks0, cpuTicks());
        results.push({ item, code, seconds, counts: countsOf(output) });
        const verdict = code === 0 ? 'ok' : `FAILED (exit ${code})`;
        // one write per file: its output stays in one piece whatever the other lanes print
        const beside = [...item.beside];
        // when it started (seconds into the run) and how busy the machine was meanwhile: the run's timeline,
        // and (with --lanes 1) what the file costs, for its test-lane class
        const when = [`from +${((t0 - started) / 1000).toFixed(0)} s`, ...(cores === undefined ? [] : [`${cores.toFixed(1)} of ${cpus().length} cores busy`]), ...(where ? [where.trim()] : [])].join(', ');
        process.stdout.write(`\n━━ ${item.name}: ${verdict} in ${seconds.toFixed(1)} s (${when})${beside.length ? `, beside ${beside.join(', ')}` : ''}\n` +
          `${output.endsWith('\n') || output === '' ? output : `${output}\n`}━━ end of ${item.name}\n`);
        startMore();
      });
    }
    if (active.length === 0 && (usable() > 0 || queue.length === 0 || exiting || timedOut)) allDone();
  };
  startMore();
  environmentsReady.forEach((p, slot) => void p.then((r) => {
    ready[slot] = r ?? { environment: undefined, vars: {} };
    startMore();
  }));
  await finished;

  const total = Object.fromEntries(COUNTS.map((n) => [n, results.reduce((s, r) => s + r.counts[n], 0)]));
  const failed = results.filter((r) => r.code !== 0);
  const notRun = queue.map((it) => it.name);
  const lines = [
    '',
    `━━ ${results.length} of ${items.length} test process(es) ran in ${lanes} lane(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    ...COUNTS.map((n) => `ℹ ${n} ${total[n]}`),
    ...failed.map((r) => `✖ failed: ${r.item.name} (exit ${r.code})`),
    ...notRun.map((name) => `✖ not run: ${name}`),
    '',
  ];
  process.stdout.write(lines.join('\n'));
  return failed.length === 0 && notRun.length === 0 ? 0 : 1;
}

const USAGE = 'usage: node scripts/run-tests.mjs [--unit | --no-env] [--lanes N] [FILTER...]\n' +
  '       node scripts/run-tests.mjs -- COMMAND [ARGS...]   (a command inside the test environment)\n';

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(USAGE);
    return shutdown(2, err.message);
  }
  if (opts.help) {
    process.stdout.write(USAGE);
    return shutdown(0);
  }
  const files = opts.command ? [] : findTestFiles(repoRoot, { unitOnly: opts.unit, filters: opts.filters });
  if (!opts.command && files.length === 0) {
    return shutdown(1, `no compiled test files${opts.filters.length ? ` matching ${opts.filters.join(', ')}` : ''} ` +
      'under dist/ (run `npm run build` first)');
  }
  let items;
  if (!opts.command) {
    try {
      items = testItems(files);
    } catch (err) {
      return shutdown(2, err.message);
    }
    log(`${files.length} test file(s), ${items.length} process(es) in up to ${opts.lanes} lane(s)`);
  }

  if (!opts.command) startTotalTimer();
  // the tests start while the environments are set up: those that need one wait for it (runLanes)
  let lanesDone;
  const startLanes = (environmentsReady) => {
    lanesDone = runLanes(items, opts.lanes, environmentsReady);
  };
  if (!opts.unit && !opts.noEnv) {
    const support = environmentSupport();
    if (!support.ok) {
      if (requireEnvironment()) {
        return shutdown(1, `the Docker test environment is required (CI=true or PAZ_TEST_REQUIRE_DOCKER=1) but: ${support.reason}`);
      }
      log(`no Docker test environment: ${support.reason}; Docker-dependent tests will be skipped`);
    } else {
      for (const p of await reapStaleEnvironments({ repoRoot, log })) log(`cleanup problem (stale environment): ${p}`);
      // a second environment pays only when two files or more hold a dockerd (or port 80)
      const holders = (items ?? []).filter((it) => it.needs.resources.length > 0).length;
      const count = opts.command || holders < 2 ? 1 : opts.environments;
      for (let slot = 0; slot < count; slot++) {
        const environment = new TestEnvironment({ repoRoot, log, slot });
        environment.onForegroundChild = (child) => {
          running.add(child);
          child.on('close', () => running.delete(child));
        };
        environments.push(environment);
      }
      const [first, ...others] = environments;
      const firstReady = first.start().then(() => ({ environment: first, vars: first.vars() }));
      // another slot that cannot be set up costs only time: the files run in the ones that could
      const othersReady = others.map((environment) => environment.start({ imagesFrom: first }).then(
        () => ({ environment, vars: environment.vars() }),
        async (err) => {
          if (exiting) return new Promise(() => undefined);
          log(`environment ${environment.slot} could not be set up (${err instanceof Error ? err.message : err}): the files run in the others`);
          for (const p of await environment.stop()) log(`cleanup problem (environment ${environment.slot}): ${p}`);
          return new Promise(() => undefined);
        },
      ));
      if (!opts.command) startLanes([firstReady.catch(() => new Promise(() => undefined)), ...othersReady]);
      try {
        await firstReady;
      } catch (err) {
        return shutdown(1, `could not set up the test environment: ${err instanceof Error ? err.message : err}`);
      }
    }
  }
  if (exiting) return;
  if (!opts.command && !lanesDone) startLanes([Promise.resolve(undefined)]);
  if (opts.command) startTotalTimer();
  const [first] = environments;
  const code = opts.command ? (await runChild(opts.command, first?.vars() ?? {}, 'inherit', { environment: first })).code : await lanesDone;
  return shutdown(code, code === 0 ? undefined : `${opts.command ? opts.command[0] : 'tests'} failed (exit ${code})`);
}

main().catch((err) => shutdown(1, `runner failed: ${err?.stack ?? err}`));
