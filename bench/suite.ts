/**
 * Every benchmark `npm run bench` runs, in order. Adding one is one line here: a module under bench/ that
 * exports `benchmark: Benchmark` (bench/lib/bench.ts). Modules load lazily, so one that fails to load
 * breaks only its own entry.
 */
import type { Benchmark } from './lib/bench.js';

export interface SuiteEntry {
  name: string;
  load: () => Promise<{ benchmark: Benchmark }>;
}

export const suite: SuiteEntry[] = [
  { name: 'api-reads', load: () => import('./api-reads.js') },
  { name: 'api-writes', load: () => import('./api-writes.js') },
  { name: 'deploy', load: () => import('./deploy-overhead.js') },
  { name: 'memory', load: () => import('./memory.js') },
  { name: 'startup', load: () => import('./startup.js') },
  { name: 'router', load: () => import('./router-overhead.js') },
  { name: 'scheduling', load: () => import('./scheduling.js') },
];
