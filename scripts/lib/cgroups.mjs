// The cgroup parent given to the test dockerd (--cgroup-parent): every container it runs lives below
// /sys/fs/cgroup/<hierarchy>/<name>, so leftovers can be found and the directories removed afterwards.
import { existsSync, readdirSync, readFileSync, realpathSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sleep, stopProcess } from './processes.mjs';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** the directories of cgroup `name` in every mounted hierarchy (v1 controllers and the unified one) */
export function cgroupDirs(name) {
  if (!existsSync(CGROUP_ROOT)) return [];
  const dirs = new Set();
  for (const entry of readdirSync(CGROUP_ROOT)) {
    try {
      const hierarchy = realpathSync(join(CGROUP_ROOT, entry)); // cpu -> cpu,cpuacct: count once
      const dir = join(hierarchy, name);
      if (statSync(hierarchy).isDirectory() && existsSync(dir)) dirs.add(dir);
    } catch {
      // not a hierarchy
    }
  }
  return [...dirs];
}

function walk(dir) {
  const out = [dir];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...walk(join(dir, entry.name)));
  }
  return out;
}

function pidsIn(dirs) {
  const pids = new Set();
  for (const dir of dirs) {
    for (const sub of walk(dir)) {
      try {
        for (const line of readFileSync(join(sub, 'cgroup.procs'), 'utf8').split('\n')) {
          if (line.trim()) pids.add(Number(line));
        }
      } catch {
        // removed meanwhile
      }
    }
  }
  return [...pids];
}

/**
 * Stops any process still inside cgroup `name` (container processes whose daemon died) and removes
 * its directories, deepest first. Returns what could not be removed.
 */
export async function removeCgroup(name) {
  const dirs = cgroupDirs(name);
  if (dirs.length === 0) return [];
  await Promise.all(pidsIn(dirs).map((pid) => stopProcess(pid, 3_000)));
  const left = [];
  for (const dir of dirs) {
    for (const sub of walk(dir).reverse()) {
      let removed = false;
      for (let attempt = 0; attempt < 20 && !removed; attempt++) {
        try {
          rmdirSync(sub);
          removed = true;
        } catch (err) {
          if (err.code === 'ENOENT') removed = true;
          else await sleep(100); // EBUSY while the last processes leave
        }
      }
      if (!removed) left.push(sub);
    }
  }
  return left;
}
