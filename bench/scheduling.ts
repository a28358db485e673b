/**
 * How fast the control plane schedules: instances placed per second and instances reported running per
 * second, for N simulated hosts and M instances, on SQLite and on etcd, beside a baseline of raw store
 * writes made in the same run (the ratio is what Paz's own work costs over the store's).
 *
 *   node dist/bench/scheduling.js            full matrix (minutes), writes bench/results/scheduling-matrix.{md,json}
 *     (the .md keeps what follows its NOTES_MARKER line: the notes written by hand about earlier runs)
 *   PAZ_BENCH_QUICK=1 node dist/bench/scheduling.js   N=10, M=200: seconds, writes nothing
 *   PAZ_BENCH_HOSTS=100 PAZ_BENCH_INSTANCES=2000 PAZ_BENCH_STORES=etcd ...   one corner of the matrix
 *   PAZ_BENCH_WATCHES=host|shared|both   with PAZ_BENCH_HOSTS: which etcd series (see WATCH_PER_HOST_HOSTS)
 *   PAZ_BENCH_ENV_VARS=30   every unit's spec carries 30 environment variables (~2 KB more per unit value)
 *   PAZ_BENCH_PROGRESS=1   counts every half second (and the host workers' own); PAZ_BENCH_CPU_PROFILE=DIR   a CPU
 *     profile of the control plane's process over each run; PAZ_BENCH_WORKER_ARGS='--cpu-prof --cpu-prof-dir=DIR'
 *     node flags for the host workers
 *
 * What runs, all in this one process on the real code:
 * - the store: a SQLite file, or a single etcd member on loopback (local-etcd.ts; one member, not a quorum:
 *   a three-member cluster adds a network round of consensus per write, which this machine's loopback makes
 *   nearly free and would only blur the figures);
 * - the control plane: ControlLoops (leader election, placement loop, rollout controller, pending writes);
 *   services created with Directory and deployed with Deploys, as the API does (all services at once);
 * - N hosts: the agent's store-facing code over a driver that starts instantly (scheduling/sim-host.ts).
 *
 * "placed": the moment the store acknowledged a host for the last of the M desired units (and every deploy was
 * answered), timed as the control plane's writes return; "heard": when a watch of the units heard of the last one
 * (the store's delivery to its watchers on top); "running": the last one reported running by its host's agent,
 * as a watch of the statuses hears it. Both are timed from the first deploy request. Not a timed test: figures depend on the
 * machine, which is why the raw-write baseline is measured beside them.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { pino, type Logger } from 'pino';
import type { Store, TxnOp } from '../src/store/store.js';
import { openStore } from '../src/store/index.js';
import { chunkOps } from '../src/store/chunk-ops.js';
import { EtcdMember, findEtcdBinary } from '../src/store/etcd/local-etcd.js';
import { keys } from '../src/core/keys.js';
import type { DesiredUnit, UnitStatus } from '../src/core/records.js';
import { desiredUnitsFor } from '../src/core/deploy-plan.js';
import { normalizeCreate } from '../src/core/service-spec.js';
import { MAX_INSTANCES } from '../src/core/rollout-defaults.js';
import { Directory } from '../src/state/directory.js';
import { Deploys } from '../src/state/deploys.js';
import { ControlLoops } from '../src/control/control-loops.js';
import { SimHost } from './scheduling/sim-host.js';
import { countingStore, emptyCounts, type StoreCounts } from './scheduling/counting-store.js';
import type { FromWorker, ToWorker, WorkerArgs } from './scheduling/host-worker.js';
import type { Benchmark } from './lib/bench.js';
import { figure, type Figure } from './lib/report.js';
import { cpuMsOf } from './lib/proc-cpu.js';

/** a pinned image: deploys resolve nothing over the network */
const IMAGE = `127.0.0.1:5000/bench/app@sha256:${'ab'.repeat(32)}`;
/** worker processes the simulated hosts of an etcd run are spread over */
const HOST_WORKERS = 2;
/** a run that has not finished by then is reported as far as it got */
const RUN_DEADLINE_MS = Number(process.env.PAZ_BENCH_DEADLINE_S ?? 180) * 1000;

export interface RunFigures {
  store: 'sqlite' | 'etcd';
  /**
   * 'shared': the simulated hosts of a process share its watches (one per prefix); 'host': each host has its
   * own, as real agents do, so etcd sends every desired-unit event to every host (host-worker.ts)
   */
  watches: 'shared' | 'host';
  hosts: number;
  instances: number;
  services: number;
  /** seconds from the first deploy request until every deploy request had been answered */
  submitSeconds: number;
  /**
   * seconds until the store had acknowledged a host for every unit and every deploy had been answered (the
   * placement decisions made and durable)
   */
  placedSeconds: number;
  /**
   * seconds until a watcher of the desired units (the bench's, in the control plane's process) had heard of every
   * placement: placedSeconds plus the store's delivery of a deploy's events to every watcher, which agents wait
   * for too (part of runningSeconds)
   */
  placedHeardSeconds: number;
  runningSeconds: number;
  placedPerSecond: number;
  runningPerSecond: number;
  /** how many were placed / running when the run ended (M unless it hit the deadline) */
  placed: number;
  running: number;
  timedOut: boolean;
  /**
   * CPU time from the first deploy until all ran, in ms per 1,000 instances: this process (the control plane;
   * on SQLite also the store and the hosts), the store's processes (etcd) and the hosts' worker processes.
   * Unlike the rates, it hardly depends on how busy the machine was.
   */
  cpuMsPerThousand?: { here: number; store?: number; hosts?: number };
  /** placed/s of every round, in the order run, when the case ran more than once (this is the median round) */
  placedPerSecondRounds?: number[];
  /**
   * the longest the host workers' event loops stood still from the first deploy until all ran (etcd): how far
   * behind the simulated hosts fell on this machine's cores, which real agents do not share with the control plane
   */
  hostWorkersLongestStallMs?: number;
  /** what the control plane and the hosts asked of the store from the first deploy until all ran, per instance */
  perInstance: { storeCalls: number; writeCalls: number; keysWritten: number; keysRead: number; writeCallsByKind?: { placement: number; status: number; endpoint: number; heartbeat: number; other: number } };
}

export interface BaselineFigures {
  store: 'sqlite' | 'etcd';
  writes: number;
  valueBytes: number;
  /** one put per key, each awaited before the next: what writing units one by one costs */
  singlePutsPerSecond: number;
  /** the same puts in txns as large as the store allows (chunk-ops.ts): the best the store can do */
  txnPutsPerSecond: number;
  maxTxnOps: number;
}

export interface SchedulingFigures {
  machine: { cpu: string; cores: number; ramGiB: number; node: string; commit: string; date: string };
  quick: boolean;
  baselines: BaselineFigures[];
  runs: RunFigures[];
  /** why a store was left out (no etcd binary) */
  skipped: string[];
}

interface Matrix {
  hosts: number[];
  /** instance counts run for a given host count */
  instances: (hosts: number) => number[];
}

const FULL: Matrix = { hosts: [10, 100, 1000], instances: () => [1000, 10_000] };
/**
 * host counts of the etcd series with one watch per host. Every agent watches every desired unit (its router
 * needs them all: drains, routing flags), so etcd sends each unit's events once per host: that cost grows with
 * hosts × units, and the shared-watch series leaves it out. Not at 1,000 hosts: this machine would spend the
 * run decoding 10^7 events for the simulated hosts (each real agent decodes its own on its own CPU).
 */
const WATCH_PER_HOST_HOSTS = [10, 100];
const QUICK: Matrix = { hosts: [10], instances: () => [200] };

/** PAZ_BENCH_HOSTS=100 PAZ_BENCH_INSTANCES=2000,5000: one corner of the matrix, for looking into it */
function envMatrix(): Matrix | undefined {
  const list = (v: string | undefined) => v?.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
  const hosts = list(process.env.PAZ_BENCH_HOSTS);
  const instances = list(process.env.PAZ_BENCH_INSTANCES);
  if (!hosts?.length && !instances?.length) return undefined;
  return { hosts: hosts?.length ? hosts : FULL.hosts, instances: () => (instances?.length ? instances : FULL.instances(0)) };
}

function machine(): SchedulingFigures['machine'] {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dirname(fileURLToPath(import.meta.url)), encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: dirname(fileURLToPath(import.meta.url)), encoding: 'utf8' }).trim();
    if (dirty) commit += ' (with uncommitted changes)';
  } catch {
    // not a git checkout
  }
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, ramGiB: Math.round(totalmem() / 1024 ** 3), node: process.version, commit, date: new Date().toISOString() };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  return typeof address === 'object' && address ? address.port : 0;
}

/** A store to bench on, and how to throw it away. */
interface BenchStore {
  store: Store;
  url: string;
  /** the store's own processes (etcd), for their CPU time; none for SQLite, which runs in this process */
  pids: () => number[];
  dispose(): Promise<void>;
}

async function sqliteStore(dir: string): Promise<BenchStore> {
  const url = `sqlite:${join(dir, 'store.db')}`;
  const store = await openStore(url);
  return { store, url, pids: () => [], dispose: () => store.close() };
}

async function etcdStore(dir: string): Promise<BenchStore> {
  const member = EtcdMember.start({ name: 'bench', dataDir: join(dir, 'etcd'), logFile: join(dir, 'etcd.log'), clientPort: await freePort(), peerPort: await freePort() });
  try {
    await member.waitUntilHealthy();
  } catch (err) {
    await member.stop();
    throw err;
  }
  const url = `etcd://${member.endpoint}`;
  const store = await openStore(url);
  return {
    store,
    url,
    pids: () => (member.pid ? [member.pid] : []),
    dispose: async () => {
      await store.close().catch(() => undefined);
      await member.stop();
    },
  };
}

/**
 * PAZ_BENCH_ENV_VARS=N: each service's config carries N environment variables of ~50 bytes (a real app's
 * database URLs, keys, feature flags), which every one of its units' specs repeats. Default none.
 */
const ENV_VARS = Number(process.env.PAZ_BENCH_ENV_VARS ?? 0);
function benchEnv(): Record<string, string> {
  return Object.fromEntries(Array.from({ length: ENV_VARS }, (_, i) => [`SETTING_${i}`, `postgres://app:secret@db-${i}.internal:5432/app_${i}?sslmode=verify`]));
}

/** What one desired unit weighs in the store: baseline writes carry values of the same size. */
function sampleUnitValue(): string {
  const doc = normalizeCreate({ name: 'bench-0', dockerRepository: IMAGE, numInstances: 1, env: benchEnv() }, Date.now());
  const record = { service: doc.name, version: 1, timestamp: Date.now(), image: IMAGE, description: doc.description, dockerRepository: doc.dockerRepository, config: doc.config, trigger: { source: 'api' } } as Parameters<typeof desiredUnitsFor>[0];
  const [u] = desiredUnitsFor(record, 1, Date.now());
  return JSON.stringify({ ...u, host: 'f'.repeat(32), placedAt: Date.now() });
}

async function wipe(store: Store): Promise<void> {
  await store.txn({ compare: [], success: [{ type: 'deletePrefix', prefix: '/paz/' }, { type: 'deletePrefix', prefix: '/bench/' }] });
}

async function baseline(kind: 'sqlite' | 'etcd', store: Store, writes: number): Promise<BaselineFigures> {
  const value = sampleUnitValue();
  const key = (i: number) => `/bench/raw/unit-${i}`;
  let t = performance.now();
  for (let i = 0; i < writes; i++) await store.put(key(i), value);
  const single = (performance.now() - t) / 1000;
  await wipe(store);
  const ops: TxnOp[] = Array.from({ length: writes }, (_, i) => ({ type: 'put', key: key(i), value }));
  t = performance.now();
  for (const chunk of chunkOps(ops, store.limits)) await store.txn({ compare: [], success: chunk });
  const txn = (performance.now() - t) / 1000;
  await wipe(store);
  return { store: kind, writes, valueBytes: Buffer.byteLength(value), singlePutsPerSecond: writes / single, txnPutsPerSecond: writes / txn, maxTxnOps: store.limits.maxTxnOps };
}

/**
 * Counts units as they get a host and as their agents report them running, from the store's own events; and the
 * placements the store acknowledged to the control plane, as they are acknowledged.
 */
class Observer {
  readonly placed = new Set<string>();
  readonly running = new Set<string>();
  /** units the control plane's acknowledged writes gave a host */
  readonly placedAcked = new Set<string>();
  placedAt = 0;
  runningAt = 0;
  /** when the store acknowledged the write that gave the last of them a host */
  placedAckedAt = 0;
  private readonly cancels: Array<() => Promise<void>> = [];
  private wake: (() => void) | undefined;

  constructor(private readonly want: number) {}

  async start(store: Store): Promise<void> {
    const units = await store.watch(keys.desiredUnitsPrefix(), (events) => {
      for (const e of events) {
        if (e.type !== 'put' || this.placed.has(e.key)) continue;
        if ((JSON.parse(e.value) as DesiredUnit).host) this.placed.add(e.key);
      }
      if (this.placedAt === 0 && this.placed.size >= this.want) this.placedAt = performance.now();
      this.check();
    });
    const statuses = await store.watch(keys.unitStatusPrefix(), (events) => {
      for (const e of events) {
        if (e.type !== 'put' || this.running.has(e.key)) continue;
        const s = JSON.parse(e.value) as UnitStatus;
        if (s.state === 'running' || s.state === 'healthy') this.running.add(e.key);
      }
      if (this.runningAt === 0 && this.running.size >= this.want) this.runningAt = performance.now();
      this.check();
    });
    this.cancels.push(() => units.cancel(), () => statuses.cancel());
  }

  /** countingStore's `committed`: a put of a desired unit with a host places it */
  acknowledged(ops: TxnOp[], at: number): void {
    for (const op of ops) {
      if (op.type !== 'put' || !op.key.startsWith(keys.desiredUnitsPrefix()) || this.placedAcked.has(op.key)) continue;
      if ((JSON.parse(op.value) as DesiredUnit).host) this.placedAcked.add(op.key);
    }
    if (this.placedAckedAt === 0 && this.placedAcked.size >= this.want) this.placedAckedAt = at;
  }

  private check(): void {
    if (this.placedAt > 0 && this.runningAt > 0) this.wake?.();
  }

  /** resolves when all are placed and running, or at the deadline */
  done(deadlineMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, deadlineMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.check();
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.cancels.map((c) => c()));
  }
}

/** The simulated hosts of one run: in this process, or in worker processes (scheduling/host-worker.ts). */
interface HostGroup {
  /** count from now */
  reset(): void;
  /**
   * stops every host; resolves the store work they did since reset() and the longest their event loops stood
   * still meanwhile (worker processes only)
   */
  stop(): Promise<{ counts: StoreCounts; longestStallMs: number } | undefined>;
  /** the worker processes (none when the hosts run in this process) */
  pids: () => number[];
}

async function hostsHere(store: Store, count: number, logger: Logger): Promise<HostGroup> {
  const hosts = Array.from({ length: count }, (_, i) => new SimHost(store, i, logger));
  await inBatches(hosts, 50, (h) => h.start());
  return {
    reset: () => undefined,
    async stop() {
      await inBatches(hosts, 50, (h) => h.stop());
      return undefined;
    },
    pids: () => [],
  };
}

async function hostsInWorkers(url: string, count: number, workers: number, watchPerHost: boolean): Promise<HostGroup> {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'scheduling', 'host-worker.js');
  const per = Math.ceil(count / workers);
  const children: ChildProcess[] = [];
  const ready: Array<Promise<void>> = [];
  for (let first = 0; first < count; first += per) {
    const args: WorkerArgs = { storeUrl: url, first, count: Math.min(per, count - first), watchPerHost };
    const child = fork(script, [JSON.stringify(args)], { execArgv: process.env.PAZ_BENCH_WORKER_ARGS ? process.env.PAZ_BENCH_WORKER_ARGS.split(' ') : undefined, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    ready.push(
      new Promise<void>((resolve, reject) => {
        child.on('message', (m: FromWorker) => {
          if (m.type === 'ready') resolve();
          if (m.type === 'failed') reject(new Error(`host worker failed: ${m.error}`));
        });
        child.once('exit', (code) => reject(new Error(`host worker exited with code ${code}`)));
      }),
    );
  }
  try {
    await Promise.all(ready);
  } catch (err) {
    for (const c of children) c.kill('SIGKILL');
    throw err;
  }
  const send = (m: ToWorker) => children.forEach((c) => c.send(m));
  return {
    pids: () => children.flatMap((c) => (c.pid ? [c.pid] : [])),
    reset: () => send({ type: 'reset' }),
    async stop() {
      const total = emptyCounts();
      let longestStallMs = 0;
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              c.on('message', (m: FromWorker) => {
                if (m.type !== 'counts') return;
                for (const k of Object.keys(total) as Array<keyof StoreCounts>) total[k] += m.counts[k];
                longestStallMs = Math.max(longestStallMs, m.longestStallMs);
              });
              c.once('exit', () => resolve());
              c.send({ type: 'stop' } satisfies ToWorker);
            }),
        ),
      );
      return { counts: total, longestStallMs };
    },
  };
}

/** PAZ_BENCH_CPU_PROFILE=DIR: a CPU profile of this process over each run only (not the set-up or the baseline) */
async function startProfile(): Promise<{ stopInto(file: string): Promise<void> }> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stopInto(file) {
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

async function schedulingRun(kind: 'sqlite' | 'etcd', bs: BenchStore, hostCount: number, instances: number, logger: Logger, watches: RunFigures['watches'] = 'shared'): Promise<RunFigures> {
  const raw = bs.store;
  await wipe(raw);
  // everything but the bench's own observer goes through the counter
  const counts = emptyCounts();
  const observer = new Observer(instances);
  const store = countingStore(raw, counts, (ops, at) => observer.acknowledged(ops, at));
  // SQLite is the single-host store: its agent runs in the control plane's process (paz up). On etcd, agents
  // run on other machines: here in worker processes, so that the control plane has this process to itself
  const hosts = kind === 'etcd' ? await hostsInWorkers(bs.url, hostCount, HOST_WORKERS, watches === 'host') : await hostsHere(store, hostCount, logger);
  const control = new ControlLoops(store, logger);
  await control.start();
  const perService = Math.min(instances, MAX_INSTANCES);
  const services = Array.from({ length: Math.ceil(instances / perService) }, (_, i) => ({ name: `bench-${i}`, count: Math.min(perService, instances - i * perService) }));
  const directory = new Directory(store);
  // every instance starts at once (maxSurge as large as the service): the bench measures scheduling, not the rollout's pacing
  for (const s of services) await directory.create({ name: s.name, dockerRepository: IMAGE, numInstances: s.count, rollout: { maxSurge: s.count }, env: benchEnv() });
  await observer.start(raw);
  const deploys = new Deploys(store);
  // as the API server wires them (roles/control-plane.ts): the leader places a deploy's units as it writes them
  deploys.placeWith(control.placeAtDeploy);
  const before: StoreCounts = { ...counts };
  hosts.reset();
  const profile = process.env.PAZ_BENCH_CPU_PROFILE ? await startProfile() : undefined;
  const cpu0 = { store: cpuMsOf(bs.pids()), hosts: cpuMsOf(hosts.pids()), here: process.cpuUsage() };
  const t0 = performance.now();
  await Promise.all(services.map((s) => deploys.deploy(s.name, { trigger: { source: 'api' } })));
  const submitted = performance.now();
  const progress = process.env.PAZ_BENCH_PROGRESS === '1' ? setInterval(() => process.stderr.write(`  ${((performance.now() - t0) / 1000).toFixed(1)} s: ${observer.placed.size} placed, ${observer.running.size} running\n`), 500) : undefined;
  await observer.done(RUN_DEADLINE_MS);
  clearInterval(progress);
  const end = performance.now();
  const hereCpu = process.cpuUsage(cpu0.here);
  if (profile) await profile.stopInto(join(process.env.PAZ_BENCH_CPU_PROFILE!, `${kind}-${hostCount}x${instances}.cpuprofile`));
  const cpuMsPerThousand = (ms: number) => Math.round((ms / instances) * 1000);
  const cpu = {
    here: cpuMsPerThousand((hereCpu.user + hereCpu.system) / 1000),
    store: kind === 'etcd' ? cpuMsPerThousand(cpuMsOf(bs.pids()) - cpu0.store) : undefined,
    hosts: kind === 'etcd' ? cpuMsPerThousand(cpuMsOf(hosts.pids()) - cpu0.hosts) : undefined,
  };
  const here: StoreCounts = { ...counts };
  const timedOut = observer.placedAt === 0 || observer.runningAt === 0;
  // placed: in the store, acknowledged, and its deploy answered (a deploy too big for one txn writes its units
  // staged, placed, and commits them with its last write); heard: when a watcher of the units heard of the last
  const placedSeconds = (Math.max(observer.placedAckedAt || end, submitted) - t0) / 1000;
  const placedHeardSeconds = ((observer.placedAt || end) - t0) / 1000;
  const runningSeconds = ((observer.runningAt || end) - t0) / 1000;
  await observer.stop();
  await control.stop();
  const inWorkers = await hosts.stop();
  const per = (k: keyof StoreCounts) => Math.round(((here[k] - before[k] + (inWorkers?.counts[k] ?? 0)) / instances) * 100) / 100;
  const perInstance = {
    storeCalls: per('calls'),
    writeCalls: per('writeCalls'),
    keysWritten: per('keysWritten'),
    keysRead: per('keysRead'),
    writeCallsByKind: { placement: per('writesPlacement'), status: per('writesStatus'), endpoint: per('writesEndpoint'), heartbeat: per('writesHeartbeat'), other: per('writesOther') },
  };
  await wipe(raw);
  return {
    store: kind,
    watches,
    hosts: hostCount,
    instances,
    services: services.length,
    submitSeconds: (submitted - t0) / 1000,
    placedSeconds,
    placedHeardSeconds,
    runningSeconds,
    placedPerSecond: observer.placedAcked.size / placedSeconds,
    runningPerSecond: observer.running.size / runningSeconds,
    placed: observer.placed.size,
    running: observer.running.size,
    timedOut,
    perInstance,
    cpuMsPerThousand: cpu,
    ...(inWorkers ? { hostWorkersLongestStallMs: Math.round(inWorkers.longestStallMs) } : {}),
  };
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));

export function toMarkdown(f: SchedulingFigures): string {
  const lines: string[] = [];
  lines.push('# Scheduling throughput', '');
  lines.push(`${f.machine.cpu}, ${f.machine.cores} cores, ${f.machine.ramGiB} GiB RAM, Node ${f.machine.node}, commit ${f.machine.commit}, ${f.machine.date}${f.quick ? ' (quick run)' : ''}.`, '');
  lines.push(`The control plane (placement loop, rollout controller) runs in the bench's process. N simulated hosts run the agent's real reconciler, unit runners and lease session over a driver that starts instantly: on SQLite (the single-host store, where \`paz up\` runs agent and control plane together) in the same process, on etcd in ${HOST_WORKERS} worker processes of their own. etcd is a single member on loopback. Watches "per process": the hosts of a worker share one etcd watch per prefix, which measures the agents' and the control plane's own work; "per host": each host has its own, as real agents do, and etcd sends every desired unit's events to every host (every agent watches all of them: its router needs them), a cost that grows with hosts × units.`, '');
  lines.push('## Raw store writes (baseline, same run)', '');
  lines.push('| store | writes | value bytes | single puts/s | puts/s in max-size txns | max ops per txn |', '|---|---:|---:|---:|---:|---:|');
  for (const b of f.baselines) lines.push(`| ${b.store} | ${b.writes} | ${b.valueBytes} | ${fmt(b.singlePutsPerSecond)} | ${fmt(b.txnPutsPerSecond)} | ${b.maxTxnOps} |`);
  lines.push('', '## Instances placed and reported running', '');
  lines.push('Rates are instances per second from the first deploy request; the ratios divide by the same store\'s raw puts/s (single, awaited one after another), so 1.0 means "as fast as writing each unit once, one by one".', '');
  const w = (r: RunFigures) => (r.watches === 'host' ? 'per host' : 'per process');
  lines.push('"All placed": the store has acknowledged a host for every unit (and every deploy was answered), timed in the control plane as its writes return; "heard by a watcher": when a watch of the desired units, in the control plane\'s process, had heard of the last one. The difference is the store delivering events to its watchers (on etcd, each event once per watch: the control plane\'s, the host workers\', the bench\'s), which the agents wait for too: it is inside "all running".', '');
  lines.push('| store | watches | hosts | instances | services | deploys answered (s) | all placed (s) | placed/s | placed heard by a watcher (s) | all running (s) | running/s | running/s ÷ single puts/s |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of f.runs) {
    const b = f.baselines.find((x) => x.store === r.store);
    const ratio = b ? (r.runningPerSecond / b.singlePutsPerSecond).toFixed(2) : '–';
    const note = r.timedOut ? ` (deadline: ${r.placed} placed, ${r.running} running)` : '';
    lines.push(`| ${r.store} | ${w(r)} | ${r.hosts} | ${r.instances} | ${r.services} | ${r.submitSeconds.toFixed(2)} | ${r.placedSeconds.toFixed(2)} | ${fmt(r.placedPerSecond)} | ${r.placedHeardSeconds?.toFixed(2) ?? '–'} | ${r.runningSeconds.toFixed(2)}${note} | ${fmt(r.runningPerSecond)} | ${ratio} |`);
  }
  const repeated = f.runs.filter((r) => (r.placedPerSecondRounds?.length ?? 0) > 1);
  if (repeated.length) {
    lines.push('', `Cases of ${SHORT_CASE_INSTANCES.toLocaleString('en-US')} instances or fewer are over in well under a second, where one sample is mostly noise: each ran ${repeated[0].placedPerSecondRounds!.length} times and its median round (by placed/s) is the row above. Every round's placed/s, in the order run:`, '');
    for (const r of repeated) lines.push(`- ${r.store}, ${w(r)}, ${r.hosts} hosts × ${r.instances}: ${r.placedPerSecondRounds!.map(fmt).join(', ')}`);
  }
  lines.push('', '## Store work per instance', '');
  lines.push('What the control plane and the hosts asked of the store from the first deploy request until every instance ran, divided by the instances. These counts do not depend on how busy the machine was.', '');
  lines.push('Write calls by kind count a call under each kind of key it writes: placement (desired units), status, endpoint, heartbeat (host and known-host records), other (deploys, rollout state, elections).', '');
  lines.push('| store | watches | hosts | instances | store calls | write calls | keys written | keys read | write calls: placement | status | endpoint | heartbeat | other |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of f.runs) {
    const k = r.perInstance.writeCallsByKind;
    const byKind = k ? `${k.placement} | ${k.status} | ${k.endpoint} | ${k.heartbeat} | ${k.other}` : '– | – | – | – | –';
    lines.push(`| ${r.store} | ${w(r)} | ${r.hosts} | ${r.instances} | ${r.perInstance.storeCalls} | ${r.perInstance.writeCalls} | ${r.perInstance.keysWritten} | ${r.perInstance.keysRead} | ${byKind} |`);
  }
  lines.push('', '## CPU time per 1,000 instances', '');
  lines.push('CPU milliseconds spent from the first deploy request until every instance ran, per 1,000 instances: by the bench\'s process (the control plane; on SQLite also the store and every host), by etcd, and by the hosts\' worker processes. Like the store work, it hardly depends on how busy the machine was; a run on 2 cores cannot go faster than its CPU time allows.', '');
  lines.push('"Longest stall": the longest any host worker\'s event loop stood still during the run (decoding a burst of watch events, reconciling): how far behind the simulated hosts fell on these cores, which real agents do not share with the control plane. A stall past a call\'s deadline (2 s for a lease keep-alive) fails that call.', '');
  lines.push('| store | watches | hosts | instances | control plane process (ms) | etcd (ms) | host workers (ms) | total (ms) | host workers\' longest stall (ms) |', '|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of f.runs) {
    const c = r.cpuMsPerThousand;
    if (!c) continue;
    const total = c.here + (c.store ?? 0) + (c.hosts ?? 0);
    lines.push(`| ${r.store} | ${w(r)} | ${r.hosts} | ${r.instances} | ${c.here} | ${c.store ?? '–'} | ${c.hosts ?? '–'} | ${total} | ${r.hostWorkersLongestStallMs ?? '–'} |`);
  }
  if (f.skipped.length) lines.push('', ...f.skipped.map((s) => `- skipped: ${s}`));
  return lines.join('\n') + '\n';
}

/**
 * A case of this many instances or fewer is over in well under a second (a 1,000-instance deploy is placed in
 * 0.15-0.35 s here), where one sample is mostly the machine's noise: it runs SHORT_CASE_ROUNDS times and the
 * median round is kept, every round's rate printed beside it (PAZ_BENCH_ROUNDS=N sets the rounds of every case).
 */
const SHORT_CASE_INSTANCES = 1_000;
const SHORT_CASE_ROUNDS = 3;

function roundsFor(instances: number, quick: boolean): number {
  const asked = Number(process.env.PAZ_BENCH_ROUNDS);
  if (Number.isInteger(asked) && asked >= 1) return asked;
  return !quick && instances <= SHORT_CASE_INSTANCES ? SHORT_CASE_ROUNDS : 1;
}

/** The round with the median placed/s (the lower middle of an even count), carrying every round's rate. */
export function medianRound(rounds: RunFigures[]): RunFigures {
  if (rounds.length === 1) return rounds[0];
  const sorted = [...rounds].sort((a, b) => a.placedPerSecond - b.placedPerSecond);
  return { ...sorted[Math.floor((sorted.length - 1) / 2)], placedPerSecondRounds: rounds.map((r) => r.placedPerSecond) };
}

export async function run({ quick }: { quick: boolean }): Promise<SchedulingFigures & { markdown: string }> {
  const matrix = envMatrix() ?? (quick ? QUICK : FULL);
  const logger = pino({ level: process.env.PAZ_BENCH_LOG ?? 'error' }, process.stderr);
  const figures: SchedulingFigures = { machine: machine(), quick, baselines: [], runs: [], skipped: [] };
  const kinds: Array<'sqlite' | 'etcd'> = ['sqlite'];
  if (findEtcdBinary()) kinds.push('etcd');
  else figures.skipped.push('etcd: no etcd binary (install etcd-server, or set PAZ_ETCD_BINARY)');
  const only = process.env.PAZ_BENCH_STORES?.split(',');
  const maxInstances = Math.max(...matrix.hosts.flatMap((h) => matrix.instances(h)));
  for (const kind of kinds) {
    if (only && !only.includes(kind)) continue;
    const dir = mkdtempSync(join(tmpdir(), `paz-bench-sched-${kind}-`));
    // interrupted (Ctrl-C): the store's files go too; etcd is killed by local-etcd.ts's exit hook, the host
    // workers exit when this process is gone
    const interrupted = (signal: NodeJS.Signals) => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
    try {
      const bs = kind === 'sqlite' ? await sqliteStore(dir) : await etcdStore(dir);
      try {
        figures.baselines.push(await baseline(kind, bs.store, maxInstances));
        process.stderr.write(`${kind} baseline: ${JSON.stringify(figures.baselines.at(-1))}\n`);
        for (const watches of watchSeries(kind, quick)) {
          for (const hosts of matrix.hosts) {
            if (watches === 'host' && !envMatrix() && !quick && !WATCH_PER_HOST_HOSTS.includes(hosts)) continue;
            for (const instances of matrix.instances(hosts)) {
              const rounds: RunFigures[] = [];
              for (let i = roundsFor(instances, quick); i > 0; i--) rounds.push(await schedulingRun(kind, bs, hosts, instances, logger, watches));
              const r = medianRound(rounds);
              figures.runs.push(r);
              process.stderr.write(`${kind} N=${hosts} M=${instances} watches=${watches}: ${JSON.stringify(r)}\n`);
            }
          }
        }
      } finally {
        await bs.dispose();
      }
    } finally {
      process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { ...figures, markdown: toMarkdown(figures) };
}

/**
 * Which watch series run on a store: SQLite hosts live in this process with the control plane (paz up), one
 * store, one set of watches. On etcd the shared series always, and one watch per host in a full or quick run
 * (a corner of the matrix: PAZ_BENCH_WATCHES=shared|host|both, default shared).
 */
function watchSeries(kind: 'sqlite' | 'etcd', quick: boolean): Array<RunFigures['watches']> {
  if (kind === 'sqlite') return ['shared'];
  const asked = process.env.PAZ_BENCH_WATCHES;
  if (asked === 'host') return ['host'];
  if (asked === 'both' || (!envMatrix() && asked !== 'shared') || quick) return ['shared', 'host'];
  return ['shared'];
}

/** the line in scheduling-matrix.md after which the notes kept by hand begin */
const NOTES_MARKER = '<!-- notes kept by hand: a run of the bench rewrites only what is above this line -->';

async function main(): Promise<void> {
  const quick = process.env.PAZ_BENCH_QUICK === '1';
  const result = await run({ quick });
  process.stdout.write(result.markdown);
  if (quick || envMatrix()) return;
  const out = resolve(dirname(fileURLToPath(import.meta.url)), '../../bench/results');
  mkdirSync(out, { recursive: true });
  const { markdown, ...figures } = result;
  const file = join(out, 'scheduling-matrix.md');
  // the tables are this run's; the notes about earlier runs and changes stay
  const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const notes = before.includes(NOTES_MARKER) ? before.slice(before.indexOf(NOTES_MARKER)) : `${NOTES_MARKER}\n`;
  writeFileSync(file, `${markdown.trimEnd()}\n\n${notes}`);
  writeFileSync(join(out, 'scheduling-matrix.json'), JSON.stringify(figures, null, 2) + '\n');
  process.stderr.write(`written: ${join(out, 'scheduling-matrix.md')}, scheduling-matrix.json\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}

/**
 * The same runs as one entry of `npm run bench` (bench/suite.ts): each run's placed and running rates beside
 * the store's own write rate in max-size txns, measured in the same run.
 */
export const benchmark: Benchmark = {
  name: 'scheduling',
  title: 'Scheduling: instances placed and reported running per second, simulated hosts',
  async run(ctx) {
    const result = await run({ quick: ctx.quick });
    const figures: Figure[] = [];
    for (const r of result.runs) {
      const base = result.baselines.find((b) => b.store === r.store);
      const baseline = base ? { name: `${r.store} puts in max-size txns`, value: base.txnPutsPerSecond } : undefined;
      const at = `${r.store}${r.watches === 'host' ? ' (a watch per host)' : ''}, ${r.hosts} hosts, ${r.instances} instances`;
      const cut = r.timedOut ? `stopped at the deadline: ${r.placed} placed, ${r.running} running` : undefined;
      const rounds = r.placedPerSecondRounds && r.placedPerSecondRounds.length > 1 ? `the median of ${r.placedPerSecondRounds.length} rounds: ${r.placedPerSecondRounds.map((v) => Math.round(v).toLocaleString('en-US')).join(', ')}` : undefined;
      figures.push(figure({ name: `placed/s (${at})`, unit: 'inst/s', value: r.placedPerSecond, baseline, target: { on: 'value', op: '>=', value: 5000 }, note: [cut, rounds].filter(Boolean).join('; ') || undefined }));
      figures.push(figure({ name: `placed and heard by a watcher/s (${at})`, unit: 'inst/s', value: r.placed / r.placedHeardSeconds, baseline, note: cut }));
      figures.push(figure({ name: `running/s (${at})`, unit: 'inst/s', value: r.runningPerSecond, baseline, note: cut }));
    }
    return {
      method: 'The real control plane (directory, deploys, placement loop, rollout controller) on the real store; each simulated host runs the agent\'s reconciler, unit runners and lease session over a driver that starts instantly (bench/scheduling/). Target from issue 11: ≥ 5,000 instances/s (Nomad\'s C1M ≈ 3,750/s).',
      figures,
      notes: result.skipped,
    };
  },
};
