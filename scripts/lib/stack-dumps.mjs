// containerd writes its goroutine stacks to os.TempDir() as containerd.<pid>.stacks.log when it gets SIGUSR1.
// Full runs left one in /tmp now and then, written by an environment's own containerd within a minute of its
// start (what sends the signal was not found: nothing in Paz or its tests; dockerd, which starts containerd,
// does not pass its TMPDIR on). The teardown removes the dumps written since the environment started by a
// containerd that is gone; a live daemon's dump, and any older file, stay.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const DUMP = /^containerd\.(\d+)\.stacks\.log$/;

/** removes from `dir` the stack dumps modified at or after `sinceMs` whose process is gone; returns their names */
export function removeStackDumps(dir, sinceMs, isAlive) {
  const removed = [];
  let names = [];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = DUMP.exec(name);
    if (!m || isAlive(Number(m[1]))) continue;
    const path = join(dir, name);
    try {
      if (!statSync(path).isFile() || statSync(path).mtimeMs < sinceMs) continue;
      rmSync(path, { force: true });
      removed.push(name);
    } catch {
      // gone meanwhile
    }
  }
  return removed;
}
