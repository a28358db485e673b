// The environment Docker-dependent tests run in: one network namespace holding a private dockerd (its
// bridge, iptables rules and published ports exist only there), a docker-registry on the namespace's
// 127.0.0.1:5000 with the hello images pushed, and a temp dir T for all their state. The runner makes two
// side by side (slot 0 and 1), so two files that each need a dockerd of their own can run at once; the
// second's registry starts from a copy of the first's storage instead of building the images again.
// Nothing touches the host's network configuration; stop() removes everything start() made, and
// reapStaleEnvironments() cleans up after a runner that was killed before it could.
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { removeCgroup, cgroupDirs } from './cgroups.mjs';
import { removeDeadSockets } from './dead-sockets.mjs';
import { removeStackDumps } from './stack-dumps.mjs';
import { dockerPing, listContainerIds, removeContainer, removeImage } from './docker-api.mjs';
import { mountsUnder, unmountAllUnder } from './mounts.mjs';
import { createNetns, deleteNetns, inNetns, netnsExists, netnsLink } from './netns.mjs';
import {
  describePid,
  isAlive,
  pidsInNetns,
  pidsWithCommandLineContaining,
  runCommand,
  sleep,
  spawnDaemon,
  stopProcess,
} from './processes.mjs';

export const TEST_REGISTRY = '127.0.0.1:5000';
export const TEST_IMAGE_1 = `${TEST_REGISTRY}/paz/hello:1`;
export const TEST_IMAGE_2 = `${TEST_REGISTRY}/paz/hello:2`;
const BRIDGE_IP = '10.222.0.1/24';
// netns and cgroup: paz-test-<runner PID>[-s<slot>]; temp dir: paz-testenv-<runner PID>-[s<slot>-]XXXXXX
// (a prefix nobody else uses, since the reaper deletes such dirs once their runner is gone); slot 0 has no
// suffix, as before there were slots
const PREFIX = 'paz-test-';
const TMP_PREFIX = 'paz-testenv-';
const NAME = new RegExp(`^${PREFIX}(\\d+)(?:-s(\\d+))?$`);
const TMP_NAME = new RegExp(`^${TMP_PREFIX}(\\d+)-(?:s(\\d+)-)?[A-Za-z0-9]{6}$`);
const slotSuffix = (slot) => (slot ? `-s${slot}` : '');

/** What an environment's namespace and cgroup are called, and what its temp dir's name starts with (mkdtemp adds 6 characters). */
export function environmentNames(id, slot = 0) {
  return { netns: `${PREFIX}${id}${slotSuffix(slot)}`, cgroup: `${PREFIX}${id}${slotSuffix(slot)}`, tmpPrefix: `${TMP_PREFIX}${id}-${slot ? `s${slot}-` : ''}` };
}

/**
 * The environment ({ id, slot }) a namespace or cgroup name (`kind` 'netns') or a temp dir name ('tmp') belongs
 * to; undefined for any other name, which the reaper must leave alone (another tool's, or this runner's logs).
 */
export function parseEnvironmentName(name, kind) {
  const m = (kind === 'tmp' ? TMP_NAME : NAME).exec(name);
  return m ? { id: Number(m[1]), slot: Number(m[2] ?? 0) } : undefined;
}

const TOOLS = ['dockerd', 'docker', 'docker-registry', 'ip', 'nsenter', 'curl'];
const RUN_DIRS = ['/run/docker', '/run/containerd'];
const SHIM_SOCKETS = '/run/containerd/s';
/**
 * The environment's daemons, as /proc/PID/comm names them (cut to 15 characters: containerd-shim-runc-v2
 * shows as containerd-shim). They run inside the namespace, but are also looked up by the temp dir in
 * their command lines: that still finds them when the namespace's name is already gone.
 */
const DAEMON_PROGRAMS = ['dockerd', 'containerd', 'containerd-shim', 'docker-registry', 'docker-proxy'];

/** removes dir and its subdirectories if they hold no files (another daemon may be using them) */
function removeEmptyDirs(dir) {
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) removeEmptyDirs(join(dir, entry.name));
    }
    rmdirSync(dir);
  } catch {
    // not empty, or gone: leave it
  }
}

function onPath(tool) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  return dirs.some((dir) => dir && existsSync(join(dir, tool)));
}

/** whether this machine can host the environment: { ok: true } or { ok: false, reason } */
export function environmentSupport() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return { ok: false, reason: 'not running as root (network namespaces and dockerd need root)' };
  }
  const missing = TOOLS.filter((t) => !onPath(t));
  if (missing.length > 0) {
    return { ok: false, reason: `missing ${missing.join(', ')} (run scripts/install-deps.sh)` };
  }
  return { ok: true };
}

function tail(file, lines = 25) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitUntil(what, check, { timeoutMs, intervalMs = 200, failFast, aborted }) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (aborted?.()) throw new Error(`${what}: set-up interrupted`);
    const failure = failFast?.();
    if (failure) throw new Error(`${what}: ${failure}`);
    if (await check()) return;
    await sleep(intervalMs);
  }
  throw new Error(`${what}: no answer within ${Math.round(timeoutMs / 1000)} s`);
}

export class TestEnvironment {
  /**
   * @param {object} o
   * @param {string} o.repoRoot
   * @param {(msg: string) => void} o.log
   * @param {number} [o.id] the runner's PID; names the namespace, temp dir and cgroup
   * @param {number} [o.slot] which of the runner's environments (0, 1)
   */
  constructor({ repoRoot, log, id = process.pid, slot = 0 }) {
    this.repoRoot = repoRoot;
    this.log = slot ? (msg) => log(`environment ${slot}: ${msg}`) : log;
    this.id = id;
    this.slot = slot;
    const names = environmentNames(id, slot);
    /** what this environment may have left in /tmp is newer than this (stack-dumps.mjs) */
    this.startedAt = Date.now();
    this.netns = names.netns;
    this.cgroup = names.cgroup;
    this.tmpPrefix = names.tmpPrefix;
    /** temp dirs to remove; one when we made it, maybe several when reaping */
    this.tmpDirs = [];
    this.dockerd = undefined;
    this.registry = undefined;
    /** set by the runner: kills a foreground child (build, tests) before teardown */
    this.onForegroundChild = undefined;
    this.stopping = undefined;
    this.createdRunDirs = [];
    /** set when teardown begins: a start() still under way must not start anything more */
    this.aborted = false;
    /** settles when this environment's registry holds the hello images (another slot copies them from it) */
    this.imagesPushed = new Promise((resolve, reject) => {
      this.settleImages = { resolve, reject };
    });
    this.imagesPushed.catch(() => undefined);
  }

  checkNotAborted() {
    if (this.aborted) throw new Error('set-up interrupted: the environment is being torn down');
  }

  get tmp() {
    return this.tmpDirs[0];
  }

  get socketPath() {
    return join(this.tmp, 'docker.sock');
  }

  /** environment variables the tests read (see test/helpers/env.ts) */
  vars() {
    return {
      DOCKER_HOST: `unix://${this.socketPath}`,
      PAZ_TEST_REGISTRY: TEST_REGISTRY,
      PAZ_TEST_IMAGE_1: TEST_IMAGE_1,
      PAZ_TEST_IMAGE_2: TEST_IMAGE_2,
      PAZ_TEST_NETNS: this.netns,
      PAZ_TEST_TMP: this.tmp,
      // every test's `paz up` shares this dockerd: one's image collector would remove the images another's units
      // are about to start from (test/e2e-image-gc.test.ts turns it on with --image-keep, on a repository of its own)
      PAZ_IMAGE_KEEP: '0',
    };
  }

  /** runs a command inside the namespace (argv for spawn) */
  wrap(command, args) {
    return inNetns(this.netns, command, args);
  }

  /**
   * Sets the environment up. With `imagesFrom` (another slot's environment), the registry starts from a copy
   * of that one's storage once its images are pushed, instead of building them again.
   */
  async start({ imagesFrom } = {}) {
    // dockerd also makes /run/docker (plugin sockets) and containerd /run/containerd (shim sockets),
    // whatever --exec-root says: remember which of them we cause, to remove them when left empty (both slots
    // start before either dockerd makes them, so both remember them; the runner tears the first down last)
    this.createdRunDirs = RUN_DIRS.filter((d) => !existsSync(d));
    this.tmpDirs.push(mkdtempSync(join(tmpdir(), this.tmpPrefix)));
    const T = this.tmp;
    this.log(`${this.slot ? '' : 'environment: '}netns ${this.netns}, temp dir ${T}`);

    const images = imagesFrom
      ? [() => imagesFrom.imagesPushed, () => this.copyRegistry(imagesFrom, T), () => this.startRegistry(T)]
      : [() => this.startRegistry(T), () => this.buildImages(T)];
    try {
      for (const step of [() => createNetns(this.netns), () => this.startDockerd(T), ...images]) {
        this.checkNotAborted();
        await step();
      }
      this.settleImages.resolve();
    } catch (err) {
      this.settleImages.reject(err);
      throw err;
    }
  }

  /** the registry storage of `from`, whose images are pushed, copied before any test can push to it */
  copyRegistry(from, T) {
    cpSync(join(from.tmp, 'registry-data'), join(T, 'registry-data'), { recursive: true });
  }

  async startDockerd(T) {
    writeFileSync(join(T, 'daemon.json'), '{}\n'); // ignore /etc/docker/daemon.json of the machine
    const args = [
      '--data-root', join(T, 'docker-data'),
      '--exec-root', join(T, 'docker-exec'),
      '--pidfile', join(T, 'dockerd.pid'),
      '-H', `unix://${this.socketPath}`,
      '--bip', BRIDGE_IP,
      '--config-file', join(T, 'daemon.json'),
      // containers' cgroups below /<cgroup>/, so teardown can find and remove them
      '--cgroup-parent', `/${this.cgroup}`,
      '--log-level', 'warn',
    ];
    const logFile = join(T, 'dockerd.log');
    const { command, args: argv } = this.wrap('dockerd', args);
    this.checkNotAborted();
    this.dockerd = spawnDaemon(command, argv, { logFile });
    await waitUntil('dockerd', () => dockerPing(this.socketPath), {
      timeoutMs: 60_000,
      aborted: () => this.aborted,
      failFast: () => (this.dockerd.exitCode !== null || this.dockerd.signalCode !== null
        ? `exited (${this.dockerd.exitCode ?? this.dockerd.signalCode}); log:\n${tail(logFile)}` : undefined),
    });
    this.log(`dockerd ready (PID ${this.dockerd.pid})`);
  }

  async startRegistry(T) {
    const config = join(T, 'registry.yml');
    writeFileSync(config, [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(T, 'registry-data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${TEST_REGISTRY}`,
      '',
    ].join('\n'));
    const logFile = join(T, 'registry.log');
    const { command, args } = this.wrap('docker-registry', ['serve', config]);
    this.checkNotAborted();
    this.registry = spawnDaemon(command, args, { logFile });
    // The registry listens on the namespace's loopback, so the probe runs inside the namespace too.
    const probe = this.wrap(process.execPath, ['-e',
      `fetch('http://${TEST_REGISTRY}/v2/').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`]);
    await waitUntil('docker-registry', async () => (await runCommand(probe.command, probe.args, { timeoutMs: 10_000 })).code === 0, {
      timeoutMs: 30_000,
      intervalMs: 300,
      aborted: () => this.aborted,
      failFast: () => (this.registry.exitCode !== null || this.registry.signalCode !== null
        ? `exited (${this.registry.exitCode ?? this.registry.signalCode}); log:\n${tail(logFile)}` : undefined),
    });
    this.log(`docker-registry ready on ${TEST_REGISTRY} (PID ${this.registry.pid})`);
  }

  async buildImages(T) {
    const { command, args } = this.wrap('bash', [join(this.repoRoot, 'examples/hello/build.sh'), TEST_REGISTRY]);
    this.checkNotAborted();
    const r = await runCommand(command, args, {
      timeoutMs: 300_000,
      env: { ...process.env, DOCKER_HOST: `unix://${this.socketPath}`, TMPDIR: T },
      onChild: (child) => this.onForegroundChild?.(child),
    });
    writeFileSync(join(T, 'build.log'), r.stdout + r.stderr);
    if (r.code !== 0) {
      throw new Error(`examples/hello/build.sh failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}):\n${(r.stdout + r.stderr).trim()}`);
    }
    // Tests start from a daemon without images: the registry has them, pulling is part of what they test.
    const local = ['paz/hello:1', 'paz/hello:2', TEST_IMAGE_1, TEST_IMAGE_2,
      `${TEST_REGISTRY}/lukebond/contrived-service-1:0.0.1`, `${TEST_REGISTRY}/lukebond/contrived-service-1:latest`];
    for (const ref of local) await removeImage(this.socketPath, ref);
    this.log(`hello images pushed to ${TEST_REGISTRY}`);
  }

  /**
   * Copies the daemons' logs (dockerd, registry, image build) out of the temp dir before teardown
   * deletes it, for a look after a failed run. Returns the directory.
   */
  saveLogs() {
    if (!this.tmp || !existsSync(this.tmp)) return undefined;
    const dir = join(tmpdir(), `paz-test-logs-${this.id}${slotSuffix(this.slot)}`); // not a TMP_PREFIX name: the reaper leaves it
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(this.tmp).filter((n) => n.endsWith('.log'))) {
      copyFileSync(join(this.tmp, name), join(dir, name));
    }
    return dir;
  }

  /** tears everything down; idempotent; returns a list of things that could not be cleaned up */
  stop() {
    this.aborted = true;
    this.stopping ??= this.teardown();
    return this.stopping;
  }

  async teardown() {
    const problems = [];
    const step = async (what, fn) => {
      try {
        await fn();
      } catch (err) {
        problems.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    };

    // 1. containers first, while dockerd can still stop them properly
    if (this.tmp && existsSync(this.socketPath) && (await dockerPing(this.socketPath))) {
      await step('remove containers', async () => {
        const ids = await listContainerIds(this.socketPath);
        await Promise.all(ids.map((id) => removeContainer(this.socketPath, id)));
      });
    }
    // 2. daemons, by PID
    await step('stop docker-registry', () => this.stopDaemon('docker-registry', this.registry, 10_000));
    await step('stop dockerd', () => this.stopDaemon('dockerd', this.dockerd, 30_000));
    // 3. clusters of network namespaces a test made and could not take down (it was stopped mid-run)
    await step('remove clusters left by tests', () => this.removeLeftClusters());
    // 4. anything that outlived them: in our namespace, started with our temp dir, or in our cgroup
    await step('stop leftover processes', () => this.stopLeftovers());
    // the shims stopped above leave their sockets behind (in /run/containerd/s, whatever --exec-root says)
    await step('remove dead shim sockets', () => removeDeadSockets(SHIM_SOCKETS));
    // containerd's stack dumps go to /tmp whatever dockerd's TMPDIR (stack-dumps.mjs)
    await step('remove containerd stack dumps', () => {
      const removed = removeStackDumps('/tmp', this.startedAt, isAlive);
      if (removed.length > 0) this.log(`removed ${removed.join(', ')} (containerd's stack dumps)`);
    });
    await step('remove cgroups', async () => {
      const left = await removeCgroup(this.cgroup);
      if (left.length > 0) throw new Error(`still present: ${left.join(', ')}`);
    });
    // 5. mounts, namespace, files
    for (const dir of this.tmpDirs) {
      await step(`unmount below ${dir}`, async () => {
        const left = await unmountAllUnder(dir);
        if (left.length > 0) throw new Error(`still mounted: ${left.join(', ')}`);
      });
    }
    await step(`delete netns ${this.netns}`, () => deleteNetns(this.netns));
    for (const dir of this.createdRunDirs) removeEmptyDirs(dir);
    for (const dir of this.tmpDirs) {
      await step(`remove ${dir}`, async () => {
        if (mountsUnder(dir).length === 0) rmSync(dir, { recursive: true, force: true });
        else throw new Error('not removed: mounts remain below it');
      });
    }
    return problems;
  }

  /**
   * Network-namespace clusters (test/helpers/netns-cluster.ts) record their namespaces and cgroup parents in
   * T/netns-cluster-subnets/<subnet>/cluster.json while they exist; a test stopped mid-run (Ctrl-C, a
   * timeout) leaves the record behind. Their processes (agents, HAProxy, dockerds) live in those namespaces,
   * their containers in those cgroups: both are stopped, then the cgroups and namespaces removed.
   */
  async removeLeftClusters() {
    for (const dir of this.tmpDirs) {
      const claims = join(dir, 'netns-cluster-subnets');
      if (!existsSync(claims)) continue;
      for (const subnet of readdirSync(claims)) {
        const file = join(claims, subnet, 'cluster.json');
        if (!existsSync(file)) continue;
        const record = JSON.parse(readFileSync(file, 'utf8'));
        // only names of the shape the helper makes: a damaged file must not reach anyone else's namespace
        const netns = (record.netns ?? []).filter((n) => /^nc\d+-[a-z0-9]+$/.test(n));
        const cgroups = (record.cgroups ?? []).filter((c) => /^nc\d+-[a-z0-9]+-containers$/.test(c));
        const pids = new Set();
        for (const n of netns) if (netnsExists(n)) for (const pid of pidsInNetns(netnsLink(n))) pids.add(pid);
        if (!netns.some(netnsExists) && !cgroups.some((c) => cgroupDirs(c).length > 0)) {
          rmSync(join(claims, subnet), { recursive: true, force: true }); // made, never brought up
          continue;
        }
        this.log(`removing cluster ${subnet} left by a test: ${netns.filter(netnsExists).join(', ') || 'no namespaces'}` +
          (pids.size > 0 ? `; stopping ${[...pids].map(describePid).join('; ')}` : ''));
        const results = await Promise.all([...pids].map((pid) => stopProcess(pid, 5_000)));
        const stuck = [...pids].filter((_, i) => results[i] === 'stuck');
        if (stuck.length > 0) throw new Error(`survived SIGKILL: ${stuck.join(', ')}`);
        for (const c of cgroups) {
          const left = await removeCgroup(c);
          if (left.length > 0) throw new Error(`cgroups still present: ${left.join(', ')}`);
        }
        for (const n of netns) await deleteNetns(n);
        rmSync(join(claims, subnet), { recursive: true, force: true });
      }
    }
  }

  async stopDaemon(name, child, graceMs) {
    if (!child?.pid) return;
    const result = await stopProcess(child.pid, graceMs);
    if (result === 'killed') this.log(`${name} (PID ${child.pid}) needed SIGKILL`);
    if (result === 'stuck') throw new Error(`PID ${child.pid} survived SIGKILL`);
  }

  async stopLeftovers() {
    const pids = new Set();
    if (netnsExists(this.netns)) for (const pid of pidsInNetns(netnsLink(this.netns))) pids.add(pid);
    for (const dir of this.tmpDirs) for (const pid of pidsWithCommandLineContaining(dir, DAEMON_PROGRAMS)) pids.add(pid);
    if (pids.size === 0) return;
    this.log(`stopping leftover processes: ${[...pids].map(describePid).join('; ')}`);
    const results = await Promise.all([...pids].map((pid) => stopProcess(pid, 5_000)));
    const stuck = [...pids].filter((_, i) => results[i] === 'stuck');
    if (stuck.length > 0) throw new Error(`survived SIGKILL: ${stuck.join(', ')}`);
  }
}

/**
 * The environments ({ id, slot }) of runners that left one behind (its namespace, temp dir or cgroup) and
 * are gone.
 */
function staleEnvironments() {
  const found = new Map();
  const collect = (names, kind) => {
    for (const name of names) {
      const env = parseEnvironmentName(name, kind);
      if (env) found.set(`${env.id}/${env.slot}`, env);
    }
  };
  if (existsSync('/run/netns')) collect(readdirSync('/run/netns'), 'netns');
  collect(readdirSync(tmpdir()), 'tmp');
  if (existsSync('/sys/fs/cgroup/memory')) collect(readdirSync('/sys/fs/cgroup/memory'), 'netns');
  return [...found.values()].filter(({ id }) => id !== process.pid && !isAlive(id));
}

/**
 * Cleans up environments whose runner died without tearing down (SIGKILL, power loss). Only
 * environments whose runner PID no longer exists are touched, so concurrent runs are left alone.
 */
export async function reapStaleEnvironments({ repoRoot, log }) {
  const problems = [];
  for (const { id, slot } of staleEnvironments()) {
    const env = new TestEnvironment({ repoRoot, log, id, slot });
    env.tmpDirs = readdirSync(tmpdir())
      .filter((name) => {
        const env = parseEnvironmentName(name, 'tmp');
        return env !== undefined && env.id === id && env.slot === slot;
      })
      .map((name) => join(tmpdir(), name));
    log(`reaping environment ${slot} left by PID ${id} (netns ${netnsExists(env.netns) ? env.netns : 'gone'}, ` +
      `${env.tmpDirs.length} temp dir(s), cgroup dirs: ${cgroupDirs(env.cgroup).length})`);
    // Its dockerd, containerd and shims are found by their command lines (they mention the temp dir),
    // never by a PID file that may point at a reused PID.
    problems.push(...(await env.stop()));
  }
  return problems;
}
