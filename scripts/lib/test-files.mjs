// Finding the compiled test files the runner passes to `node --test`.
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

function walk(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path));
    else if (entry.isFile() && entry.name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

/**
 * dist/src/** unit tests, plus dist/test/** integration tests unless unitOnly; when filters are given,
 * only files whose path (relative to the repo) contains one of them. Sorted, relative to repoRoot.
 */
export function findTestFiles(repoRoot, { unitOnly = false, filters = [] } = {}) {
  // dist/web/src: the unit tests of the dashboard's pure modules (web/src/**/*.test.ts)
  const roots = unitOnly ? ['dist/src', 'dist/web/src'] : ['dist/src', 'dist/web/src', 'dist/test'];
  return roots
    .flatMap((root) => walk(join(repoRoot, root)))
    .map((path) => relative(repoRoot, path))
    .filter((path) => filters.length === 0 || filters.some((f) => path.includes(f)))
    .sort();
}
