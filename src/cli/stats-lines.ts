/**
 * `paz stats`' tables from the orchestrator's stats answers: a service's units (CPU, memory against its limit,
 * network), or the hosts (CPU of their cores, memory, load, network rates), as `docker stats --no-stream` and
 * `kubectl top` show theirs. Pure.
 */
import type { UnitStats } from '../agent/drivers/driver.js';
import { formatBytes } from '../core/byte-size.js';
import { duration } from '../core/health-levels.js';
import { table } from './table.js';

/** a unit's latest sample, as its agent's driver takes it (type only: nothing of the agent is loaded) */
export type UnitSample = Omit<UnitStats, 'unit'>;

/** GET /services/:name/stats */
export interface ServiceStatsDoc {
  service: string;
  totals: { cpu: number; memoryBytes: number; networkRxBytes: number; networkTxBytes: number };
  units: Record<string, { latest: UnitSample | null } | { error: string }>;
}

/** GET /cluster/hosts/:id/stats (its `latest`) */
export interface HostSample {
  at: string;
  cpu: { busyFraction: number; coresBusy: number; cores: number };
  memory: { totalBytes: number; usedBytes: number; availableBytes: number };
  network: { rxBytesPerSecond: number; txBytesPerSecond: number };
  load: { one: number; five: number; fifteen: number };
}

/** a fraction of one core as docker stats shows it: 100% is one core */
export function cpuPercent(cores: number): string {
  return `${(cores * 100).toFixed(1)}%`;
}

/** `3 s ago`: how old a sample is */
function age(at: string, now: number): string {
  const ms = now - Date.parse(at);
  return Number.isFinite(ms) ? `${duration(ms)} ago` : '-';
}

/** What the units' latest samples add up to (a host's units: its answer has no totals). */
export function unitTotals(samples: Iterable<UnitSample | null>): ServiceStatsDoc['totals'] {
  const t = { cpu: 0, memoryBytes: 0, networkRxBytes: 0, networkTxBytes: 0 };
  for (const s of samples) {
    if (!s) continue;
    t.cpu += s.cpu;
    t.memoryBytes += s.memoryBytes;
    t.networkRxBytes += s.networkRxBytes;
    t.networkTxBytes += s.networkTxBytes;
  }
  return t;
}

/** A service's units' table and a totals line; units that could not be asked, or have no sample yet, say so. */
export function serviceStatsLines(doc: Pick<ServiceStatsDoc, 'units' | 'totals'>, now: number): string[] {
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const [unit, s] of Object.entries(doc.units).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))) {
    if ('error' in s) {
      rows.push([unit, '-', '-', '-', '-', '-']);
      notes.push(`  ${unit}: ${s.error}`);
    } else if (!s.latest) {
      rows.push([unit, '-', '-', '-', '-', 'no sample yet']);
    } else {
      const l = s.latest;
      rows.push([unit, cpuPercent(l.cpu), l.memoryLimitBytes ? `${formatBytes(l.memoryBytes)} / ${formatBytes(l.memoryLimitBytes)}` : formatBytes(l.memoryBytes), formatBytes(l.networkRxBytes), formatBytes(l.networkTxBytes), age(l.at, now)]);
    }
  }
  if (rows.length === 0) return [];
  const t = doc.totals;
  return [
    table(['UNIT', 'CPU', 'MEMORY', 'NET IN', 'NET OUT', 'SAMPLED'], rows),
    `total: CPU ${cpuPercent(t.cpu)}, memory ${formatBytes(t.memoryBytes)}, network in ${formatBytes(t.networkRxBytes)}, out ${formatBytes(t.networkTxBytes)} (${rows.length} unit${rows.length === 1 ? '' : 's'})`,
    ...(notes.length > 0 ? ['without figures:', ...notes] : []),
  ];
}

export interface HostStatsRow {
  id: string;
  hostname: string;
  latest?: HostSample | null;
  units?: number;
  error?: string;
}

/** One row per host; a host that could not be asked, or has no sample yet, says so under the table. */
export function hostStatsLines(hosts: readonly HostStatsRow[], now: number): string[] {
  const notes: string[] = [];
  const rows = hosts.map((h) => {
    const l = h.latest;
    if (!l) {
      notes.push(`  ${h.id}: ${h.error ?? 'no sample yet'}`);
      return [h.id, h.hostname, '-', '-', '-', '-', '-', h.units === undefined ? '-' : String(h.units), '-'];
    }
    return [
      h.id,
      h.hostname,
      // the share of all its cores (a unit's CPU is of one core, as docker stats shows it)
      `${(l.cpu.busyFraction * 100).toFixed(1)}% of ${l.cpu.cores} core${l.cpu.cores === 1 ? '' : 's'}`,
      `${formatBytes(l.memory.usedBytes)} / ${formatBytes(l.memory.totalBytes)}`,
      `${l.load.one.toFixed(2)} ${l.load.five.toFixed(2)} ${l.load.fifteen.toFixed(2)}`,
      `${formatBytes(l.network.rxBytesPerSecond)}/s`,
      `${formatBytes(l.network.txBytesPerSecond)}/s`,
      h.units === undefined ? '-' : String(h.units),
      age(l.at, now),
    ];
  });
  if (rows.length === 0) return [];
  return [table(['HOST', 'HOSTNAME', 'CPU', 'MEMORY', 'LOAD', 'NET IN', 'NET OUT', 'UNITS', 'SAMPLED'], rows), ...(notes.length > 0 ? ['without figures:', ...notes] : [])];
}
