/**
 * The process driver's cgroup v1 directories: `<root>/<controller>/<parent>/<unit>` for the memory, cpu,
 * cpuacct and pids hierarchies. This machine kind runs cgroup v1 in hybrid mode (no memory.max/cpu.max), so
 * limits use memory.limit_in_bytes, cpu.cfs_quota_us/cpu.cfs_period_us and pids.max.
 *
 * Only directories under `<parent>` are ever created, written or removed: cgroups this code did not create
 * are never touched.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  parseCgroupProcs,
  parseMemoryLimit,
  parseMemoryStatValue,
  parseOomKillCount,
} from './proc-parse.js';
import type { CgroupLimitValues } from './unit-launch.js';

type Controller = 'memory' | 'cpu' | 'cpuacct' | 'pids';
const CONTROLLERS: Controller[] = ['memory', 'cpu', 'cpuacct', 'pids'];

export interface CgroupUsage {
  /** total CPU time of every process in the cgroup, in nanoseconds (cpuacct.usage) */
  cpuNs?: number;
  /** memory in use minus inactive page cache, as `docker stats` shows it */
  memoryBytes?: number;
  memoryLimitBytes?: number;
  /** how many processes the kernel's OOM killer killed in this cgroup */
  oomKills?: number;
}

export type CgroupAvailability = { available: true } | { available: false; reason: string };

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The directory under each v1 hierarchy that holds the units' cgroups, unless configured otherwise. */
export const DEFAULT_CGROUP_PARENT = 'paz';

export class UnitCgroups {
  /** controller -> its hierarchy's `<root>/<controller>/<parent>` directory, for the controllers usable here */
  private parents = new Map<Controller, string>();
  private availability: CgroupAvailability | undefined;

  constructor(
    private readonly root = '/sys/fs/cgroup',
    private readonly parent = DEFAULT_CGROUP_PARENT,
  ) {}

  /**
   * Finds the v1 hierarchies and creates the `<parent>` directory in each. Remembered after the first call.
   * cpuacct is often co-mounted with cpu (`cpu,cpuacct`): then both names lead to one hierarchy, used once.
   */
  probe(): CgroupAvailability {
    if (this.availability) return this.availability;
    const seen = new Set<string>();
    const problems: string[] = [];
    for (const controller of CONTROLLERS) {
      const mount = join(this.root, controller);
      if (!existsSync(join(mount, 'cgroup.procs'))) {
        problems.push(`${mount}: no v1 hierarchy`);
        continue;
      }
      const real = realpathSync(mount);
      const dir = join(real, this.parent);
      if (seen.has(dir)) {
        this.parents.set(controller, dir);
        continue;
      }
      try {
        mkdirSync(dir, { recursive: true });
        seen.add(dir);
        this.parents.set(controller, dir);
      } catch (err) {
        problems.push(`${dir}: ${errorText(err)}`);
      }
    }
    // without the memory controller a unit's limits and process list would be partial: treat as unavailable
    this.availability = this.parents.has('memory')
      ? { available: true }
      : { available: false, reason: problems.join('; ') || 'no memory cgroup' };
    return this.availability;
  }

  /** A short description of missing controllers (e.g. "cpu") for a log line, or undefined when all are there. */
  missingControllers(): string | undefined {
    const missing = CONTROLLERS.filter((c) => !this.parents.has(c));
    return missing.length > 0 ? missing.join(', ') : undefined;
  }

  private unitDirs(unit: string): Map<Controller, string> {
    const dirs = new Map<Controller, string>();
    for (const [controller, parentDir] of this.parents) dirs.set(controller, join(parentDir, unit));
    return dirs;
  }

  /** The distinct directories of a unit (co-mounted controllers share one). */
  private distinctUnitDirs(unit: string): string[] {
    return [...new Set(this.unitDirs(unit).values())];
  }

  /**
   * Creates fresh cgroups for a unit (removing a previous run's, so counters such as oom_kill start at 0),
   * writes its limits, and returns the cgroup.procs files the process must enter.
   */
  async prepare(unit: string, limits: CgroupLimitValues): Promise<string[]> {
    await this.remove(unit);
    const dirs = this.unitDirs(unit);
    for (const dir of new Set(dirs.values())) mkdirSync(dir, { recursive: true });
    const memory = dirs.get('memory');
    if (memory && limits.memoryLimitBytes !== undefined) {
      writeFileSync(join(memory, 'memory.limit_in_bytes'), String(limits.memoryLimitBytes));
      // with swap, the same limit on memory+swap makes the OOM killer act instead of swapping; the file is
      // absent when the kernel does not account swap
      const memsw = join(memory, 'memory.memsw.limit_in_bytes');
      if (existsSync(memsw)) writeFileSync(memsw, String(limits.memoryLimitBytes));
    }
    const cpu = dirs.get('cpu');
    if (cpu && limits.cfsQuotaUs !== undefined && limits.cfsPeriodUs !== undefined) {
      writeFileSync(join(cpu, 'cpu.cfs_period_us'), String(limits.cfsPeriodUs));
      writeFileSync(join(cpu, 'cpu.cfs_quota_us'), String(limits.cfsQuotaUs));
    }
    const pids = dirs.get('pids');
    if (pids && limits.pidsMax !== undefined) writeFileSync(join(pids, 'pids.max'), String(limits.pidsMax));
    return this.distinctUnitDirs(unit).map((d) => join(d, 'cgroup.procs'));
  }

  /** Every process in the unit's cgroup (children and grandchildren included). */
  procs(unit: string): number[] {
    const memory = this.unitDirs(unit).get('memory');
    const text = memory ? readText(join(memory, 'cgroup.procs')) : undefined;
    return text ? parseCgroupProcs(text) : [];
  }

  /** SIGKILLs every process left in the unit's cgroup and waits (bounded) until it is empty. */
  async killAll(unit: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pids = this.procs(unit);
      if (pids.length === 0) return;
      if (Date.now() > deadline) throw new Error(`processes ${pids.join(', ')} of ${unit} survived SIGKILL`);
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await sleep(20);
    }
  }

  /** Kills what is left in the unit's cgroups and removes them; no-op when they do not exist. */
  async remove(unit: string): Promise<void> {
    const dirs = this.distinctUnitDirs(unit).filter((d) => existsSync(d));
    if (dirs.length === 0) return;
    await this.killAll(unit);
    for (const dir of dirs) {
      // a killed process leaves the cgroup a moment after it is reaped: retry briefly on EBUSY
      for (let attempt = 0; ; attempt++) {
        try {
          rmdirSync(dir);
          break;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') break;
          if (code !== 'EBUSY' || attempt >= 100) throw err;
          await sleep(50);
        }
      }
    }
  }

  exists(unit: string): boolean {
    const memory = this.unitDirs(unit).get('memory');
    return memory !== undefined && existsSync(memory);
  }

  usage(unit: string): CgroupUsage {
    const dirs = this.unitDirs(unit);
    const u: CgroupUsage = {};
    const cpuacct = dirs.get('cpuacct');
    const cpuText = cpuacct ? readText(join(cpuacct, 'cpuacct.usage')) : undefined;
    if (cpuText !== undefined) u.cpuNs = Number(cpuText.trim());
    const memory = dirs.get('memory');
    if (memory) {
      const usage = readText(join(memory, 'memory.usage_in_bytes'));
      if (usage !== undefined) {
        const stat = readText(join(memory, 'memory.stat')) ?? '';
        const inactiveFile = parseMemoryStatValue(stat, 'total_inactive_file') ?? 0;
        u.memoryBytes = Math.max(0, Number(usage.trim()) - inactiveFile);
      }
      const limit = readText(join(memory, 'memory.limit_in_bytes'));
      if (limit !== undefined) u.memoryLimitBytes = parseMemoryLimit(limit);
      const oom = readText(join(memory, 'memory.oom_control'));
      if (oom !== undefined) u.oomKills = parseOomKillCount(oom);
    }
    return u;
  }

  /** Removes the `<parent>` directories if no unit cgroup is left in them (EBUSY otherwise: left alone). */
  removeParentIfEmpty(): void {
    for (const dir of new Set(this.parents.values())) {
      try {
        rmdirSync(dir);
      } catch {
        // still has unit cgroups, or already removed by another driver instance; prepare() recreates it
      }
    }
  }
}
