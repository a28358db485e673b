/** What a benchmark module exports (bench/suite.ts lists them) and what the runner hands it. */
import type { BenchReport } from './report.js';

export interface BenchContext {
  /** PAZ_BENCH_QUICK=1 or --quick: tiny durations and counts, to prove the benchmark runs (CI), not to measure */
  quick: boolean;
  /** the full-run value, or the quick one */
  pick<T>(full: T, quick: T): T;
  log(message: string): void;
}

/** The part of a report a benchmark fills in; the runner adds name, title and time. */
export type BenchOutcome = Pick<BenchReport, 'method' | 'figures' | 'notes'> & { skipped?: string };

export interface Benchmark {
  /** short id, also the per-benchmark file name in bench/results/ */
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<BenchOutcome>;
}
