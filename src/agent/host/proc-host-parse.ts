/**
 * Pure parsers and arithmetic for host-wide /proc files: /proc/stat (CPU time), /proc/meminfo,
 * /proc/net/dev and /proc/loadavg. The sampler (host-stats.ts) does the reading.
 */

/** Cumulative CPU time of the whole host since boot, in clock ticks, from the `cpu ` line of /proc/stat. */
export interface CpuTimes {
  /** time spent doing work (user, nice, system, irq, softirq, steal) */
  busy: number;
  /** busy + idle + iowait */
  total: number;
  /** number of `cpuN` lines: the cores the kernel schedules on */
  cores: number;
}

export function parseProcStat(text: string): CpuTimes {
  let busy = -1;
  let total = 0;
  let cores = 0;
  for (const line of text.split('\n')) {
    if (/^cpu\d+\s/.test(line)) {
      cores++;
    } else if (/^cpu\s/.test(line)) {
      // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already part of user
      const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
        .trim()
        .split(/\s+/)
        .slice(1)
        .map(Number);
      busy = user + nice + system + irq + softirq + steal;
      total = busy + idle + iowait;
    }
  }
  if (busy < 0 || !Number.isFinite(total)) throw new Error('no aggregate "cpu" line in /proc/stat');
  return { busy, total, cores: Math.max(cores, 1) };
}

export interface CpuUse {
  /** busy share of all cores over the interval, 0..1 */
  busyFraction: number;
  /** the same expressed in cores: 1.5 = one and a half cores busy */
  coresBusy: number;
  cores: number;
}

/** CPU use between two /proc/stat readings (or since boot when `before` is undefined). */
export function cpuUseBetween(before: CpuTimes | undefined, after: CpuTimes): CpuUse {
  const busy = after.busy - (before?.busy ?? 0);
  const total = after.total - (before?.total ?? 0);
  const busyFraction = total > 0 && busy > 0 ? Math.min(1, busy / total) : 0;
  return { busyFraction, coresBusy: busyFraction * after.cores, cores: after.cores };
}

export interface MemoryUse {
  totalBytes: number;
  /** what can be given to new work without swapping (MemAvailable: free + reclaimable cache) */
  availableBytes: number;
  usedBytes: number;
}

export function parseMeminfo(text: string): MemoryUse {
  const kb = (key: string): number | undefined => {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const totalBytes = kb('MemTotal');
  if (totalBytes === undefined) throw new Error('no MemTotal in /proc/meminfo');
  // MemAvailable exists since Linux 3.14; older kernels: approximate with free + buffers + cache
  const availableBytes = kb('MemAvailable') ?? (kb('MemFree') ?? 0) + (kb('Buffers') ?? 0) + (kb('Cached') ?? 0);
  return { totalBytes, availableBytes, usedBytes: Math.max(0, totalBytes - availableBytes) };
}

export interface NetworkCounters {
  /** bytes since boot, summed over every interface except loopback */
  rxBytes: number;
  txBytes: number;
  /** bytes since boot on `lo` alone (local traffic: e.g. the router to units on the same host) */
  loopbackRxBytes: number;
  loopbackTxBytes: number;
}

/** /proc/net/dev: two header lines, then `iface: rx_bytes packets errs drop fifo frame compressed multicast tx_bytes ...` */
export function parseNetDev(text: string): NetworkCounters {
  const c: NetworkCounters = { rxBytes: 0, txBytes: 0, loopbackRxBytes: 0, loopbackTxBytes: 0 };
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.includes('|')) continue;
    const name = line.slice(0, colon).trim();
    const fields = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (fields.length < 9 || fields.some((f) => !Number.isFinite(f))) continue;
    const rx = fields[0];
    const tx = fields[8];
    if (name === 'lo') {
      c.loopbackRxBytes += rx;
      c.loopbackTxBytes += tx;
    } else {
      c.rxBytes += rx;
      c.txBytes += tx;
    }
  }
  return c;
}

export interface NetworkRates {
  rxBytesPerSecond: number;
  txBytesPerSecond: number;
  loopbackRxBytesPerSecond: number;
  loopbackTxBytesPerSecond: number;
}

/** Byte rates between two readings; a counter that went down (interface removed, wrap) counts as 0. */
export function networkRates(before: NetworkCounters, after: NetworkCounters, seconds: number): NetworkRates {
  const rate = (a: number, b: number) => (seconds > 0 && b > a ? (b - a) / seconds : 0);
  return {
    rxBytesPerSecond: rate(before.rxBytes, after.rxBytes),
    txBytesPerSecond: rate(before.txBytes, after.txBytes),
    loopbackRxBytesPerSecond: rate(before.loopbackRxBytes, after.loopbackRxBytes),
    loopbackTxBytesPerSecond: rate(before.loopbackTxBytes, after.loopbackTxBytes),
  };
}

export interface LoadAverage {
  one: number;
  five: number;
  fifteen: number;
  /** runnable scheduling entities right now, and all of them */
  running: number;
  total: number;
}

/** /proc/loadavg: `0.20 0.18 0.12 1/80 11206` */
export function parseLoadavg(text: string): LoadAverage {
  const m = /^\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\/(\d+)/.exec(text);
  if (!m) throw new Error(`bad /proc/loadavg: ${JSON.stringify(text)}`);
  return {
    one: Number(m[1]),
    five: Number(m[2]),
    fifteen: Number(m[3]),
    running: Number(m[4]),
    total: Number(m[5]),
  };
}
