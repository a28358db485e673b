// Unmounting whatever a daemon left mounted below a directory (overlay layers, shm, netns bind mounts).
import { readFileSync } from 'node:fs';
import { runCommand } from './processes.mjs';

// mountinfo escapes space, tab, newline and backslash as \040 \011 \012 \134
const unescapeMountPath = (p) => p.replace(/\\([0-7]{3})/g, (_, oct) => String.fromCharCode(parseInt(oct, 8)));

/** mount points at or below `dir`, deepest first */
export function mountsUnder(dir) {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => unescapeMountPath(line.split(' ')[4]))
    .filter((p) => p === dir || p.startsWith(prefix));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** unmounts everything below dir; returns the mount points still there afterwards */
export async function unmountAllUnder(dir) {
  for (const point of mountsUnder(dir)) {
    const r = await runCommand('umount', [point], { timeoutMs: 15_000 });
    if (r.code !== 0) await runCommand('umount', ['-l', point], { timeoutMs: 15_000 });
  }
  return mountsUnder(dir);
}
