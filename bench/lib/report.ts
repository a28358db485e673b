/**
 * What a benchmark produces and how a run is written: figures measured beside their baseline (same run),
 * ratios, targets met or missed (printed, never a failure), as markdown for humans and JSON for tools.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineInfo } from './machine.js';

/** A target on a figure's value or on its ratio to the baseline. */
export interface Target {
  on: 'value' | 'ratio';
  op: '>=' | '<=' | '<' | '>';
  value: number;
}

export interface Figure {
  /** what was measured, e.g. `GET /services requests/s` */
  name: string;
  unit: string;
  value: number;
  /** the same thing measured in the same run on the baseline */
  baseline?: { name: string; value: number };
  /** value / baseline.value */
  ratio?: number;
  target?: Target;
  /** whether the target is met (absent without a target) */
  met?: boolean;
  note?: string;
}

export interface BenchReport {
  name: string;
  title: string;
  /** how it was measured, in a sentence or three (markdown) */
  method: string;
  figures: Figure[];
  notes: string[];
  /** why it did not run (e.g. no Docker test environment); a skip is not a failure */
  skipped?: string;
  /** set by the runner when the benchmark threw */
  error?: string;
  seconds: number;
}

export interface RunReport {
  machine: MachineInfo;
  quick: boolean;
  benchmarks: BenchReport[];
}

function holds(op: Target['op'], a: number, b: number): boolean {
  switch (op) {
    case '>=':
      return a >= b;
    case '<=':
      return a <= b;
    case '<':
      return a < b;
    case '>':
      return a > b;
  }
}

/**
 * A figure with its ratio and target verdict filled in. The ratio is value / baseline, unless the benchmark
 * measured them in pairs of rounds and gives `ratio` itself (the median of the per-round ratios: each pair
 * shares the machine's moment, so a slow minute of other work cancels out); say so in `note`.
 */
export function figure(f: Omit<Figure, 'met'>): Figure {
  const ratio = f.ratio ?? (f.baseline && f.baseline.value !== 0 ? f.value / f.baseline.value : undefined);
  const out: Figure = { ...f };
  if (ratio !== undefined) out.ratio = ratio;
  if (f.target) {
    const subject = f.target.on === 'ratio' ? ratio : f.value;
    out.met = subject !== undefined && Number.isFinite(subject) && holds(f.target.op, subject, f.target.value);
  }
  return out;
}

function num(v: number, unit = ''): string {
  if (!Number.isFinite(v)) return 'n/a';
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  const s = v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return unit ? `${s} ${unit}` : s;
}

function targetText(f: Figure): string {
  if (!f.target) return '';
  const op = { '>=': '≥', '<=': '≤', '<': '<', '>': '>' }[f.target.op];
  return f.target.on === 'ratio' ? `${op} ${f.target.value}×` : `${op} ${num(f.target.value, f.unit)}`;
}

function verdict(f: Figure): string {
  if (f.met === undefined) return '';
  return f.met ? 'met' : '**missed**';
}

/** One benchmark's table, markdown. */
export function benchMarkdown(b: BenchReport): string {
  const lines = [`## ${b.title}`, '', `\`${b.name}\`: ${b.method}`, ''];
  if (b.error) lines.push(`**Broken:** ${b.error}`, '');
  if (b.skipped) lines.push(`Skipped: ${b.skipped}`, '');
  if (b.figures.length > 0) {
    lines.push('| figure | Paz | baseline | ratio | target | |', '|---|---:|---|---:|---|---|');
    for (const f of b.figures) {
      const base = f.baseline ? `${num(f.baseline.value, f.unit)} (${f.baseline.name})` : '';
      const ratio = f.ratio !== undefined ? `${num(f.ratio)}×` : '';
      lines.push(`| ${f.name}${f.note ? ` (${f.note})` : ''} | ${num(f.value, f.unit)} | ${base} | ${ratio} | ${targetText(f)} | ${verdict(f)} |`);
    }
    lines.push('');
  }
  for (const n of b.notes) lines.push(`- ${n}`);
  if (b.notes.length > 0) lines.push('');
  lines.push(`(${num(b.seconds)} s)`, '');
  return lines.join('\n');
}

export function machineMarkdown(m: MachineInfo, quick: boolean): string {
  return [
    `Run ${m.date} on commit \`${m.commit}\`${quick ? ' (quick round: tiny durations, figures not meaningful)' : ''}.`,
    '',
    '| machine | |',
    '|---|---|',
    `| CPU | ${m.cpuModel}, ${m.cores} cores |`,
    `| RAM | ${m.ramGiB} GiB |`,
    `| OS, kernel | ${m.os}, Linux ${m.kernel} |`,
    `| Node | ${m.node} |`,
    `| load average at start | ${m.loadAverage.join(' / ')} |`,
    '',
  ].join('\n');
}

/** The summary table: every figure with a target, across benchmarks. */
export function targetsMarkdown(benchmarks: BenchReport[]): string {
  const rows = benchmarks.flatMap((b) => b.figures.filter((f) => f.target).map((f) => ({ b, f })));
  if (rows.length === 0) return '';
  const lines = ['| benchmark | figure | Paz | baseline | ratio | target | |', '|---|---|---:|---:|---:|---|---|'];
  for (const { b, f } of rows) {
    lines.push(`| ${b.name} | ${f.name} | ${num(f.value, f.unit)} | ${f.baseline ? num(f.baseline.value, f.unit) : ''} | ${f.ratio !== undefined ? `${num(f.ratio)}×` : ''} | ${targetText(f)} | ${verdict(f)} |`);
  }
  return lines.join('\n') + '\n';
}

export function runMarkdown(run: RunReport): string {
  const parts = ['# Paz benchmarks', '', '`npm run bench` writes this file (bench/README.md says how each figure is measured). Every figure is measured beside its baseline in the same run; compare ratios, not absolute numbers, across machines. Targets are printed, never enforced.', '', machineMarkdown(run.machine, run.quick)];
  const summary = targetsMarkdown(run.benchmarks);
  if (summary) parts.push('## Targets', '', summary);
  for (const b of run.benchmarks) parts.push(benchMarkdown(b));
  return parts.join('\n');
}

/** Writes `<base>.md` and `<base>.json` into `dir`. */
export function writeRun(dir: string, base: string, run: RunReport): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${base}.json`), JSON.stringify(run, null, 2) + '\n');
  writeFileSync(join(dir, `${base}.md`), runMarkdown(run));
}
