import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuPercent, hostStatsLines, serviceStatsLines, unitTotals, type HostSample } from './stats-lines.js';

const NOW = Date.parse('2026-11-30T12:00:10Z');
const AT = '2026-11-30T12:00:07Z';

test('CPU as docker stats shows it: 100% is one core', () => {
  assert.equal(cpuPercent(0.125), '12.5%');
  assert.equal(cpuPercent(1.5), '150.0%', 'one and a half cores');
});

test("a service's units: one row each in unit order, memory against its limit, a totals line; units without figures say why", () => {
  const lines = serviceStatsLines(
    {
      totals: { cpu: 0.3, memoryBytes: 50 * 1048576, networkRxBytes: 3000, networkTxBytes: 9000 },
      units: {
        'web-2-10': { latest: { cpu: 0.1, memoryBytes: 20 * 1048576, memoryLimitBytes: 64 * 1048576, networkRxBytes: 1000, networkTxBytes: 4000, at: AT } },
        'web-2-2': { latest: { cpu: 0.2, memoryBytes: 30 * 1048576, networkRxBytes: 2000, networkTxBytes: 5000, at: AT } },
        'web-2-3': { latest: null },
        'web-2-4': { error: "host h2's agent did not answer" },
      },
    },
    NOW,
  );
  assert.deepEqual(lines, [
    [
      'UNIT      CPU    MEMORY           NET IN   NET OUT  SAMPLED',
      'web-2-2   20.0%  30 MiB           2.0 KiB  4.9 KiB  3 s ago',
      'web-2-3   -      -                -        -        no sample yet',
      'web-2-4   -      -                -        -        -',
      'web-2-10  10.0%  20 MiB / 64 MiB  1000 B   3.9 KiB  3 s ago',
    ].join('\n'),
    'total: CPU 30.0%, memory 50 MiB, network in 2.9 KiB, out 8.8 KiB (4 units)',
    'without figures:',
    "  web-2-4: host h2's agent did not answer",
  ]);
  assert.deepEqual(serviceStatsLines({ totals: { cpu: 0, memoryBytes: 0, networkRxBytes: 0, networkTxBytes: 0 }, units: {} }, NOW), [], 'nothing placed: the caller says so');
});

test('hosts: CPU of their cores, memory used of total, load, network rates; a host that did not answer says why', () => {
  const sample: HostSample = {
    at: AT,
    cpu: { busyFraction: 0.25, coresBusy: 0.5, cores: 2 },
    memory: { totalBytes: 24 * 1024 ** 3, usedBytes: 3 * 1024 ** 3, availableBytes: 21 * 1024 ** 3 },
    network: { rxBytesPerSecond: 2048, txBytesPerSecond: 100 },
    load: { one: 0.5, five: 0.25, fifteen: 1 },
  };
  const lines = hostStatsLines([{ id: 'aaaa', hostname: 'node-1', latest: sample, units: 3 }, { id: 'bbbb', hostname: 'node-2', error: 'no answer within 5 s' }], NOW);
  assert.equal(lines[0]!.split('\n')[1], 'aaaa  node-1    25.0% of 2 cores  3.0 GiB / 24 GiB  0.50 0.25 1.00  2.0 KiB/s  100 B/s  3      3 s ago');
  assert.match(lines[0]!.split('\n')[2]!, /^bbbb  node-2    -/);
  assert.deepEqual(lines.slice(1), ['without figures:', '  bbbb: no answer within 5 s']);
});

test("a host's units' totals: their latest samples added up, those without one left out", () => {
  const at = AT;
  assert.deepEqual(unitTotals([{ cpu: 0.25, memoryBytes: 10, networkRxBytes: 1, networkTxBytes: 2, at }, null, { cpu: 0.5, memoryBytes: 5, networkRxBytes: 3, networkTxBytes: 4, at }]), { cpu: 0.75, memoryBytes: 15, networkRxBytes: 4, networkTxBytes: 6 });
  assert.deepEqual(unitTotals([]), { cpu: 0, memoryBytes: 0, networkRxBytes: 0, networkTxBytes: 0 });
});
