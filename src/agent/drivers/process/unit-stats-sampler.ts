/**
 * CPU and memory of a process-driver unit: from its cgroup when it has one (every process of the unit, forks
 * included), else from /proc of its main process. CPU is a rate, so the sampler keeps each unit's previous
 * sample; the first look at a process gives its average since it started.
 */
import { performance } from 'node:perf_hooks';
import type { UnitStats } from '../driver.js';
import type { CgroupUsage } from './cgroup-v1.js';
import { CLOCK_TICKS_PER_SECOND, cpuFraction } from './proc-parse.js';
import type { ProcReader } from './proc-reader.js';
import type { UnitStateFile } from './unit-files.js';

interface CpuSample {
  pid: number;
  cpuSeconds: number;
  atMs: number;
}

export class UnitStatsSampler {
  private readonly samples = new Map<string, CpuSample>();

  constructor(private readonly proc: ProcReader) {}

  forget(unit: string): void {
    this.samples.delete(unit);
  }

  /** One sample of a running unit; `usage` is its cgroup's, when it has one. */
  sample(unit: string, state: UnitStateFile, usage: CgroupUsage | undefined): UnitStats | undefined {
    let cpuSeconds: number;
    let memoryBytes: number;
    let memoryLimitBytes: number | undefined;
    if (usage?.cpuNs !== undefined && usage.memoryBytes !== undefined) {
      cpuSeconds = usage.cpuNs / 1e9;
      memoryBytes = usage.memoryBytes;
      memoryLimitBytes = usage.memoryLimitBytes;
    } else {
      // without cgroups only the unit's main process is measured
      const stat = this.proc.stat(state.pid);
      if (!stat) return undefined;
      cpuSeconds = (stat.utimeTicks + stat.stimeTicks) / CLOCK_TICKS_PER_SECOND;
      memoryBytes = this.proc.rssBytes(state.pid) ?? 0;
    }
    const nowMs = performance.now();
    const previous = this.samples.get(unit);
    let cpu: number;
    if (previous && previous.pid === state.pid) {
      cpu = cpuFraction(cpuSeconds - previous.cpuSeconds, (nowMs - previous.atMs) / 1000);
    } else {
      const ageSeconds =
        state.procStartTicks === null
          ? (Date.now() - Date.parse(state.startedAt)) / 1000
          : this.proc.uptimeSeconds() - state.procStartTicks / CLOCK_TICKS_PER_SECOND;
      cpu = cpuFraction(cpuSeconds, ageSeconds);
    }
    this.samples.set(unit, { pid: state.pid, cpuSeconds, atMs: nowMs });
    const stats: UnitStats = {
      unit,
      cpu,
      memoryBytes,
      // the process shares the host's network namespace: its traffic is not separable from the host's
      networkRxBytes: 0,
      networkTxBytes: 0,
      at: new Date().toISOString(),
    };
    if (memoryLimitBytes !== undefined) stats.memoryLimitBytes = memoryLimitBytes;
    return stats;
  }
}
