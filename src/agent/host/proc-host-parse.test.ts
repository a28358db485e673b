import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cpuUseBetween,
  networkRates,
  parseLoadavg,
  parseMeminfo,
  parseNetDev,
  parseProcStat,
} from './proc-host-parse.js';

// fixed samples taken from a 2-core Debian 12 host
const STAT_1 = `cpu  13756 0 3492 166474 312 0 100 10 0 0
cpu0 6104 0 1449 84465 59 0 33 3 0 0
cpu1 7651 0 2042 82008 253 0 67 6 0 0
intr 397073 0 0 0
ctxt 123456
btime 1795541000
processes 12600
procs_running 1
`;
// 100 ticks later per core (200 total): 50 busy (user 40 + system 10), 150 idle/iowait
const STAT_2 = STAT_1.replace('cpu  13756 0 3492 166474 312', 'cpu  13796 0 3502 166614 322');

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:   62644     945    0    0    0     0          0         0    62644     945    0    0    0     0       0          0
  ifb0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  eth0:157787954    4689    0    0    0     0          0         0   391476    3267    0    0    0     0       0          0
  veth-h1: 1000    10    0    0    0     0          0         0   2000    20    0    0    0     0       0          0
`;

test('parseProcStat reads the aggregate cpu line and counts cores', () => {
  const t = parseProcStat(STAT_1);
  // busy = user + nice + system + irq + softirq + steal
  assert.equal(t.busy, 13756 + 0 + 3492 + 0 + 100 + 10);
  assert.equal(t.total, t.busy + 166474 + 312);
  assert.equal(t.cores, 2);
  assert.throws(() => parseProcStat('intr 1 2 3\n'), /no aggregate "cpu" line/);
});

test('cpuUseBetween gives the busy share of all cores and cores busy', () => {
  const use = cpuUseBetween(parseProcStat(STAT_1), parseProcStat(STAT_2));
  assert.equal(use.cores, 2);
  assert.equal(use.busyFraction, 50 / 200);
  assert.equal(use.coresBusy, 0.5);
  // without a previous reading: the average since boot
  const sinceBoot = cpuUseBetween(undefined, parseProcStat(STAT_1));
  assert.ok(sinceBoot.busyFraction > 0 && sinceBoot.busyFraction < 1);
  // no time passed: nothing busy, not NaN
  assert.deepEqual(cpuUseBetween(parseProcStat(STAT_1), parseProcStat(STAT_1)), { busyFraction: 0, coresBusy: 0, cores: 2 });
});

test('parseMeminfo computes used from total and available', () => {
  const m = parseMeminfo('MemTotal:       24684092 kB\nMemFree:        23999808 kB\nMemAvailable:   24189224 kB\nBuffers: 4332 kB\n');
  assert.deepEqual(m, {
    totalBytes: 24684092 * 1024,
    availableBytes: 24189224 * 1024,
    usedBytes: (24684092 - 24189224) * 1024,
  });
});

test('parseMeminfo falls back to free + buffers + cached on kernels without MemAvailable', () => {
  const m = parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n');
  assert.equal(m.availableBytes, 400 * 1024);
  assert.equal(m.usedBytes, 600 * 1024);
  assert.throws(() => parseMeminfo('MemFree: 1 kB\n'), /MemTotal/);
});

test('parseNetDev sums non-loopback interfaces and keeps loopback apart', () => {
  assert.deepEqual(parseNetDev(NET_DEV), {
    rxBytes: 157787954 + 1000,
    txBytes: 391476 + 2000,
    loopbackRxBytes: 62644,
    loopbackTxBytes: 62644,
  });
});

test('networkRates divides deltas by seconds and never goes negative', () => {
  const a = { rxBytes: 1000, txBytes: 500, loopbackRxBytes: 10, loopbackTxBytes: 10 };
  const b = { rxBytes: 3000, txBytes: 400, loopbackRxBytes: 30, loopbackTxBytes: 10 };
  assert.deepEqual(networkRates(a, b, 2), {
    rxBytesPerSecond: 1000,
    txBytesPerSecond: 0,
    loopbackRxBytesPerSecond: 10,
    loopbackTxBytesPerSecond: 0,
  });
  assert.equal(networkRates(a, b, 0).rxBytesPerSecond, 0);
});

test('parseLoadavg', () => {
  assert.deepEqual(parseLoadavg('0.65 0.28 0.14 1/113 12578\n'), { one: 0.65, five: 0.28, fifteen: 0.14, running: 1, total: 113 });
  assert.throws(() => parseLoadavg(''), /bad \/proc\/loadavg/);
});
