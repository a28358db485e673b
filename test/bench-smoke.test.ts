// CI's short round of every benchmark (bench/suite.ts): each runs with tiny durations and counts
// (PAZ_BENCH_QUICK=1) and must finish with figures, or say why it skipped (the deploy benchmark without the
// Docker test environment). Fails only when a benchmark breaks, never on its timings. Results go to a temp
// dir, not bench/results/.
// test-lane: docker heavy slow
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './helpers/paz-server.js';
import { dockerUnavailableReason } from './helpers/env.js';
import { suite } from '../bench/suite.js';
import type { RunReport } from '../bench/lib/report.js';

test('every benchmark runs a quick round and reports figures', { timeout: 300_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'paz-bench-smoke-'));
  try {
    const child = spawn(process.execPath, [join(repoRoot, 'dist', 'bench', 'run.js'), '--out', out], {
      env: { ...process.env, PAZ_BENCH_QUICK: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.ok(existsSync(join(out, 'latest.json')), `no latest.json written:\n${output}`);
    const run = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as RunReport;
    assert.equal(run.quick, true);
    assert.match(run.machine.node, /^v\d+/);
    assert.ok(run.machine.cores > 0 && run.machine.cpuModel && run.machine.commit, JSON.stringify(run.machine));
    assert.deepEqual(run.benchmarks.map((b) => b.name), suite.map((e) => e.name), 'every benchmark of the suite ran');
    for (const b of run.benchmarks) {
      assert.equal(b.error, undefined, `${b.name} broke: ${b.error}`);
      if (b.skipped) {
        // only the deploy benchmark may skip, and only without the Docker test environment
        assert.equal(b.name, 'deploy', `${b.name} skipped: ${b.skipped}`);
        assert.ok(dockerUnavailableReason(), `deploy skipped although the Docker test environment is there: ${b.skipped}`);
        continue;
      }
      assert.ok(b.figures.length > 0, `${b.name} gave no figures`);
      for (const f of b.figures) assert.ok(Number.isFinite(f.value), `${b.name}: ${f.name} has no value`);
    }
    assert.match(readFileSync(join(out, 'latest.md'), 'utf8'), /\| figure \| Paz \| baseline \| ratio \| target \|/);
    assert.equal(code, 0, output);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
