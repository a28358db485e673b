/**
 * Runs the benchmarks of bench/suite.ts and writes bench/results/: `latest.md` and `latest.json` for a
 * whole run, `<name>.md`/`.json` for each benchmark. Exits 1 when a benchmark broke (threw, or gave no
 * figure without saying why it skipped); timings never fail a run.
 *
 *   node dist/bench/run.js [--quick] [--out DIR] [--only NAME,NAME]
 *
 * `npm run bench` runs this inside the test environment (scripts/run-tests.mjs --, as root), which gives the
 * deploy benchmark its dockerd and registry; elsewhere that benchmark skips and says why.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { suite } from './suite.js';
import type { BenchContext } from './lib/bench.js';
import { machineInfo } from './lib/machine.js';
import { benchMarkdown, writeRun, type BenchReport, type RunReport } from './lib/report.js';
import { repoRoot } from './lib/paz-process.js';
import { stopAllTracked } from './lib/processes.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: process.env.PAZ_BENCH_QUICK === '1' },
      out: { type: 'string', default: join(repoRoot, 'bench', 'results') },
      only: { type: 'string' },
    },
  });
  const quick = values.quick ?? false;
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = (only ?? []).filter((n) => !suite.some((e) => e.name === n));
  if (unknown.length > 0) {
    console.error(`bench: no benchmark named ${unknown.join(', ')}; there are ${suite.map((e) => e.name).join(', ')}`);
    return 2;
  }
  const machine = machineInfo(repoRoot);
  const run: RunReport = { machine, quick, benchmarks: [] };
  console.log(`paz bench: ${machine.cpuModel} x${machine.cores}, ${machine.ramGiB} GiB, Linux ${machine.kernel}, Node ${machine.node}, commit ${machine.commit}, load ${machine.loadAverage.join('/')}${quick ? ' (quick round)' : ''}`);
  for (const entry of suite.filter((e) => !only || only.includes(e.name))) {
    const started = Date.now();
    const ctx: BenchContext = {
      quick,
      pick: (full, q) => (quick ? q : full),
      log: (m) => console.log(`[${entry.name}] ${m}`),
    };
    let report: BenchReport;
    try {
      const { benchmark } = await entry.load();
      ctx.log(benchmark.title);
      const outcome = await benchmark.run(ctx);
      report = { name: entry.name, title: benchmark.title, ...outcome, seconds: (Date.now() - started) / 1000 };
      if (report.figures.length === 0 && !report.skipped) report.error = 'it produced no figures and gave no reason to skip';
      const bad = report.figures.filter((f) => !Number.isFinite(f.value));
      if (bad.length > 0) report.error = `figures without a value: ${bad.map((f) => f.name).join(', ')}`;
    } catch (err) {
      report = { name: entry.name, title: entry.name, method: '', figures: [], notes: [], error: err instanceof Error ? (err.stack ?? err.message) : String(err), seconds: (Date.now() - started) / 1000 };
    }
    run.benchmarks.push(report);
    console.log('\n' + benchMarkdown(report));
    writeRun(values.out!, entry.name, { machine, quick, benchmarks: [report] });
  }
  if (!only) writeRun(values.out!, 'latest', run);
  const broken = run.benchmarks.filter((b) => b.error);
  console.log(`bench: results in ${values.out}${broken.length ? `; BROKEN: ${broken.map((b) => b.name).join(', ')}` : ''}`);
  return broken.length > 0 ? 1 : 0;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`bench: ${sig}: stopping what the benchmarks started`);
    void stopAllTracked().finally(() => process.exit(130));
  });
}

process.exitCode = await main();
await stopAllTracked();
