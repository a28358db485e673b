/**
 * Samples the host's CPU, memory, network and load from /proc at a fixed interval and keeps the recent
 * samples in a StatsHistory. CPU and network rates need two readings: each sample is computed against the
 * previous one (the first against boot, when there is no previous reading).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  cpuUseBetween,
  networkRates,
  parseLoadavg,
  parseMeminfo,
  parseNetDev,
  parseProcStat,
  type CpuTimes,
  type CpuUse,
  type LoadAverage,
  type MemoryUse,
  type NetworkCounters,
  type NetworkRates,
} from './proc-host-parse.js';
import { StatsHistory } from './stats-history.js';

export interface HostStatsSample {
  at: string;
  /** seconds since the previous reading that CPU and rates cover; 0 for a first sample (CPU since boot) */
  intervalSeconds: number;
  cpu: CpuUse;
  memory: MemoryUse;
  /** byte counters since boot and byte rates over the interval */
  network: NetworkCounters & NetworkRates;
  load: LoadAverage;
}

export interface HostStatsSamplerOptions {
  /** default 5000 ms */
  intervalMs?: number;
  /** samples kept; default 120 (10 minutes at 5 s) */
  historySize?: number;
  /** default /proc; tests point it at fixed files */
  procRoot?: string;
  onSample?: (s: HostStatsSample) => void;
  /** a failed periodic sample is reported here and sampling goes on */
  onError?: (err: unknown) => void;
}

interface Reading {
  cpu: CpuTimes;
  network: NetworkCounters;
  atMs: number;
}

export class HostStatsSampler {
  readonly history: StatsHistory<HostStatsSample>;
  private previous: Reading | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly procRoot: string;

  constructor(private readonly options: HostStatsSamplerOptions = {}) {
    this.history = new StatsHistory(options.historySize ?? 120);
    this.procRoot = options.procRoot ?? '/proc';
  }

  private read(file: string): Promise<string> {
    return readFile(join(this.procRoot, file), 'utf8');
  }

  /** Reads /proc now, records the sample in the history and returns it. */
  async sample(): Promise<HostStatsSample> {
    const [stat, meminfo, netdev, loadavg] = await Promise.all([
      this.read('stat'),
      this.read('meminfo'),
      this.read('net/dev'),
      this.read('loadavg'),
    ]);
    const now: Reading = { cpu: parseProcStat(stat), network: parseNetDev(netdev), atMs: performance.now() };
    const before = this.previous;
    const seconds = before ? (now.atMs - before.atMs) / 1000 : 0;
    const sample: HostStatsSample = {
      at: new Date().toISOString(),
      intervalSeconds: seconds,
      cpu: cpuUseBetween(before?.cpu, now.cpu),
      memory: parseMeminfo(meminfo),
      network: { ...now.network, ...networkRates(before?.network ?? now.network, now.network, seconds) },
      load: parseLoadavg(loadavg),
    };
    this.previous = now;
    this.history.push(sample);
    this.options.onSample?.(sample);
    return sample;
  }

  /** Takes a first sample now, then one per interval until stop(). */
  async start(): Promise<HostStatsSample> {
    if (this.timer) throw new Error('host stats sampler already started');
    const first = await this.sample();
    this.timer = setInterval(() => {
      this.sample().catch((err) => this.options.onError?.(err));
    }, this.options.intervalMs ?? 5000);
    // sampling alone must not keep the agent process alive
    this.timer.unref();
    return first;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
