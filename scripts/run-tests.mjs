#!/usr/bin/env node
// Runs the compiled tests (`npm test` builds first, then runs this).
//
//   node scripts/run-tests.mjs                 all tests in dist/src and dist/test, in the test environment
//   node scripts/run-tests.mjs docker store    only test files whose path contains "docker" or "store"
//   node scripts/run-tests.mjs --unit          only dist/src unit tests, no environment
//   node scripts/run-tests.mjs --no-env store  the selected files without the environment (Docker tests skip)
//   node scripts/run-tests.mjs -- bash         any command inside the environment instead of the tests
//                                              (with DOCKER_HOST, PAZ_TEST_* set; for debugging a test)
//
// As root with dockerd installed, the tests run inside a test environment made for this run (see
// lib/test-env.mjs): a network namespace with its own dockerd and a registry holding the hello images.
// Otherwise they run without it and Docker tests skip, unless CI=true or PAZ_TEST_REQUIRE_DOCKER=1, where
// a missing environment is a failure. The environment is always torn down: pass, fail, Ctrl-C or crash
// (after a failed run the daemons' logs are kept in $TMPDIR/paz-test-logs-<runner PID>/), and one left
// behind by a runner that was killed outright is cleaned up by the next run.
//
// Env: PAZ_TEST_TIMEOUT_MS bounds the whole `node --test` run (default 30 min); PAZ_TEST_PER_TEST_TIMEOUT_MS
// bounds each test, and (Node 20) each test file as a whole (default 10 min).
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { log } from './lib/log.mjs';
import { stopProcess } from './lib/processes.mjs';
import { findTestFiles } from './lib/test-files.mjs';
import { environmentSupport, reapStaleEnvironments, TestEnvironment } from './lib/test-env.mjs';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

function parseArgs(argv) {
  const opts = { unit: false, noEnv: false, filters: [], command: undefined };
  const dashes = argv.indexOf('--');
  if (dashes >= 0) {
    opts.command = argv.slice(dashes + 1);
    argv = argv.slice(0, dashes);
    if (opts.command.length === 0) throw new Error('-- must be followed by a command');
  }
  for (const arg of argv) {
    if (arg === '--unit') opts.unit = true;
    else if (arg === '--no-env') opts.noEnv = true;
    else if (arg === '--help' || arg === '-h') opts.help = true;
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else opts.filters.push(arg);
  }
  return opts;
}

const requireEnvironment = () => process.env.CI === 'true' || process.env.PAZ_TEST_REQUIRE_DOCKER === '1';

/** the foreground child (build or node --test), killed by PID when the runner is interrupted */
let foreground;
let environment;
let exiting = false;

async function shutdown(code, why, { interrupted = false } = {}) {
  if (exiting) return;
  exiting = true;
  if (why) log(why);
  if (foreground?.pid && foreground.exitCode === null && foreground.signalCode === null) {
    // let it finish its own cleanup before the daemons it talks to go away
    const result = await stopProcess(foreground.pid, 15_000);
    if (result === 'killed') log(`PID ${foreground.pid} needed SIGKILL`);
  }
  let problems = [];
  if (environment) {
    if (code !== 0 && !interrupted) {
      try {
        const saved = environment.saveLogs();
        if (saved) log(`daemon logs saved in ${saved}`);
      } catch (err) {
        log(`could not save the daemon logs: ${err instanceof Error ? err.message : err}`);
      }
    }
    log('tearing down the test environment');
    problems = await environment.stop();
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

/** runs argv in the foreground (inside the environment's namespace when there is one); resolves its exit code */
function runForeground(argv, extraEnv) {
  const totalTimeout = Number(process.env.PAZ_TEST_TIMEOUT_MS ?? 30 * 60_000);
  const { command, args } = environment
    ? environment.wrap(argv[0], argv.slice(1))
    : { command: argv[0], args: argv.slice(1) };
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: 'inherit', env: { ...process.env, ...extraEnv } });
    foreground = child;
    const timer = setTimeout(() => {
      log(`still running after ${Math.round(totalTimeout / 1000)} s: stopping them`);
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, totalTimeout);
    child.on('error', (err) => {
      clearTimeout(timer);
      log(`could not start ${argv[0]}: ${err.message}`);
      resolve(1);
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      resolve(code ?? (sig ? 1 : 0));
    });
  });
}

const USAGE = 'usage: node scripts/run-tests.mjs [--unit | --no-env] [FILTER...]\n' +
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
  if (!opts.command) log(`${files.length} test file(s)`);

  let extraEnv = {};
  if (!opts.unit && !opts.noEnv) {
    const support = environmentSupport();
    if (!support.ok) {
      if (requireEnvironment()) {
        return shutdown(1, `the Docker test environment is required (CI=true or PAZ_TEST_REQUIRE_DOCKER=1) but: ${support.reason}`);
      }
      log(`no Docker test environment: ${support.reason}; Docker-dependent tests will be skipped`);
    } else {
      for (const p of await reapStaleEnvironments({ repoRoot, log })) log(`cleanup problem (stale environment): ${p}`);
      environment = new TestEnvironment({ repoRoot, log });
      environment.onForegroundChild = (child) => (foreground = child);
      try {
        await environment.start();
      } catch (err) {
        return shutdown(1, `could not set up the test environment: ${err instanceof Error ? err.message : err}`);
      }
      extraEnv = environment.vars();
    }
  }
  if (exiting) return;
  const code = await runForeground(opts.command ?? nodeTestCommand(files), extraEnv);
  return shutdown(code, code === 0 ? undefined : `${opts.command ? opts.command[0] : 'tests'} failed (exit ${code})`);
}

main().catch((err) => shutdown(1, `runner failed: ${err?.stack ?? err}`));
