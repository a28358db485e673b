/**
 * A child process that runs a share of the scheduling bench's simulated hosts against the same store as the
 * control plane (an etcd endpoint), as real agents run apart from the control plane. Spoken to over IPC:
 *   parent → { type: 'reset' } (count from now), { type: 'stop' }
 *   child  → { type: 'ready' }, { type: 'counts', counts, longestStallMs }, then exits after stop
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { openStore } from '../../src/store/index.js';
import { SimHost } from './sim-host.js';
import { countingStore, emptyCounts, type StoreCounts } from './counting-store.js';

export interface WorkerArgs {
  storeUrl: string;
  /** index of the first host (for names and addresses), and how many */
  first: number;
  count: number;
  /**
   * each host its own watches, as each real agent has (one etcd watch per prefix per host): etcd sends every
   * desired unit's event to every host. Otherwise the hosts of this process share one watch per prefix (the
   * process's shared watches, store-loop.ts), which measures the agents' own work but spares etcd that fan-out.
   */
  watchPerHost: boolean;
}

export type ToWorker = { type: 'reset' } | { type: 'stop' };
export type FromWorker = { type: 'ready' } | { type: 'counts'; counts: StoreCounts; longestStallMs: number } | { type: 'failed'; error: string };

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]) as WorkerArgs;
  const logger = pino({ level: process.env.PAZ_BENCH_LOG ?? 'error' }, process.stderr);
  const raw = await openStore(args.storeUrl);
  let counts = emptyCounts();
  // how long the event loop stood still at most: how far behind these hosts fell (scheduling.ts prints it)
  const stalls = monitorEventLoopDelay({ resolution: 10 });
  stalls.enable();
  const live: StoreCounts = emptyCounts();
  const store = countingStore(raw, live);
  // the process's watches are shared per Store object: a wrapper of its own gives a host watches of its own
  const hosts = Array.from({ length: args.count }, (_, i) => new SimHost(args.watchPerHost ? countingStore(raw, live) : store, args.first + i, logger));
  for (let i = 0; i < hosts.length; i += 50) await Promise.all(hosts.slice(i, i + 50).map((h) => h.start()));
  const send = (m: FromWorker) => process.send!(m);
  process.on('message', (m: ToWorker) => {
    if (m.type === 'reset') {
      counts = { ...live };
      stalls.reset();
    }
    if (m.type === 'stop') {
      void (async () => {
        const delta = emptyCounts();
        for (const k of Object.keys(delta) as Array<keyof StoreCounts>) delta[k] = live[k] - counts[k];
        send({ type: 'counts', counts: delta, longestStallMs: stalls.max / 1e6 });
        for (let i = 0; i < hosts.length; i += 50) await Promise.all(hosts.slice(i, i + 50).map((h) => h.stop()));
        await raw.close();
        process.exit(0);
      })();
    }
  });
  // the parent went away without a stop: leave nothing behind
  process.on('disconnect', () => process.exit(0));
  if (process.env.PAZ_BENCH_PROGRESS === '1') {
    const t0 = Date.now();
    setInterval(() => {
      let units = 0;
      let running = 0;
      for (const h of hosts) {
        const p = h.progress();
        units += p.units;
        running += p.running;
      }
      process.stderr.write(`    worker ${args.first}: ${((Date.now() - t0) / 1000).toFixed(1)} s after ready: ${units} units known, ${running} running\n`);
    }, 500).unref();
  }
  send({ type: 'ready' });
}

main().catch((err) => {
  process.send?.({ type: 'failed', error: String((err as Error).stack ?? err) } satisfies FromWorker);
  process.exit(1);
});
