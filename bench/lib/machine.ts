/** The machine a benchmark run happened on, for the report: figures mean little without it. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  ramGiB: number;
  kernel: string;
  os: string;
  node: string;
  /** ISO time the run started */
  date: string;
  /** git commit of the tree measured, `+dirty` when it had uncommitted changes; 'unknown' outside git */
  commit: string;
  /** 1/5/15-minute load averages when the run started: on a shared machine, others' work shows here */
  loadAverage: number[];
}

function osName(): string {
  try {
    const line = readFileSync('/etc/os-release', 'utf8').split('\n').find((l) => l.startsWith('PRETTY_NAME='));
    return line ? line.slice('PRETTY_NAME='.length).replace(/^"|"$/g, '') : 'unknown';
  } catch {
    return 'unknown';
  }
}

function gitCommit(repoRoot: string): string {
  try {
    const sha = execFileSync('git', ['-C', repoRoot, 'rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['-C', repoRoot, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return 'unknown';
  }
}

export function machineInfo(repoRoot: string): MachineInfo {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    os: osName(),
    node: process.version,
    date: new Date().toISOString(),
    commit: gitCommit(repoRoot),
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
