import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { HostStatsSampler } from './host-stats.js';

const dir = mkdtempSync(join(tmpdir(), 'paz-host-stats-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeProc(stat: string, netRx: number): void {
  mkdirSync(join(dir, 'net'), { recursive: true });
  writeFileSync(join(dir, 'stat'), stat);
  writeFileSync(join(dir, 'meminfo'), 'MemTotal: 2000 kB\nMemFree: 500 kB\nMemAvailable: 1500 kB\n');
  writeFileSync(join(dir, 'loadavg'), '1.00 0.50 0.25 2/100 999\n');
  writeFileSync(
    join(dir, 'net/dev'),
    'Inter-|   Receive |  Transmit\n face |bytes packets|bytes packets\n' +
      `    lo: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0\n  eth0: ${netRx} 1 0 0 0 0 0 0 50 1 0 0 0 0 0 0\n`,
  );
}

test('samples from fixed /proc files: CPU and rates against the previous sample', async () => {
  writeProc('cpu  100 0 0 100 0 0 0 0 0 0\ncpu0 50 0 0 50 0\ncpu1 50 0 0 50 0\n', 1000);
  const sampler = new HostStatsSampler({ procRoot: dir, historySize: 2 });
  const first = await sampler.sample();
  assert.equal(first.intervalSeconds, 0);
  assert.equal(first.cpu.busyFraction, 0.5); // since boot
  assert.equal(first.network.rxBytesPerSecond, 0);
  assert.deepEqual(first.memory, { totalBytes: 2000 * 1024, availableBytes: 1500 * 1024, usedBytes: 500 * 1024 });
  assert.equal(first.load.one, 1);

  // 100 more ticks, 75 of them busy; 5000 more bytes received
  writeProc('cpu  175 0 0 125 0 0 0 0 0 0\ncpu0 50 0 0 50 0\ncpu1 50 0 0 50 0\n', 6000);
  const second = await sampler.sample();
  assert.ok(second.intervalSeconds > 0);
  assert.equal(second.cpu.busyFraction, 0.75);
  assert.equal(second.cpu.coresBusy, 1.5);
  assert.equal(second.network.rxBytes, 6000);
  assert.equal(second.network.loopbackRxBytes, 100);
  assert.ok(second.network.rxBytesPerSecond > 0);

  await sampler.sample();
  assert.equal(sampler.history.size, 2, 'history bounded by historySize');
  assert.deepEqual(sampler.history.toArray()[0], second);
});

test('samples the real /proc of this host, periodically', async () => {
  const seen: number[] = [];
  const sampler = new HostStatsSampler({ intervalMs: 100, onSample: (s) => seen.push(s.cpu.cores) });
  const first = await sampler.start();
  try {
    assert.ok(first.cpu.cores >= 1);
    assert.ok(first.cpu.busyFraction >= 0 && first.cpu.busyFraction <= 1);
    assert.ok(first.memory.totalBytes > 0 && first.memory.usedBytes > 0);
    assert.ok(first.memory.availableBytes <= first.memory.totalBytes);
    assert.ok(first.load.total > 0);
    // bounded wait for periodic samples
    const deadline = Date.now() + 10_000;
    while (sampler.history.size < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(sampler.history.size >= 3, `periodic samples taken: ${sampler.history.size}`);
    const latest = sampler.history.latest();
    assert.ok(latest && latest.intervalSeconds > 0);
    assert.ok(latest.cpu.coresBusy >= 0 && latest.cpu.coresBusy <= latest.cpu.cores);
    assert.ok(latest.network.loopbackRxBytes >= 0);
    assert.equal(seen.length, sampler.history.size);
  } finally {
    sampler.stop();
  }
  await assert.rejects(async () => {
    await sampler.start();
    await sampler.start();
  }, /already started/);
  sampler.stop();
});
