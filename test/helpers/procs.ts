/**
 * What runs on this host, read from /proc, for tests about leftovers: the HAProxy processes of a data dir's
 * router, and processes carrying a marker in their environment (a test's unit processes). Zombies (exited,
 * waiting for their parent) do not count.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

function liveProcs(): Array<{ pid: number; ppid: number }> {
  const out: Array<{ pid: number; ppid: number }> = [];
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] !== 'Z') out.push({ pid: Number(d), ppid: Number(rest[1]) });
    } catch {
      /* gone */
    }
  }
  return out;
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** HAProxy processes running the router configuration of `dataDir` (masters and workers). */
export function haproxyOf(dataDir: string): number[] {
  const cfg = join(dataDir, 'router', 'haproxy.cfg');
  return liveProcs()
    .filter(({ pid }) => {
      const cmd = read(`/proc/${pid}/cmdline`);
      return cmd.includes('haproxy') && cmd.includes(cfg);
    })
    .map((p) => p.pid);
}

/** HAProxy masters of `dataDir`'s router (the ones whose parent is not one of them), with their parent pid. */
export function haproxyMastersOf(dataDir: string): Array<{ pid: number; ppid: number }> {
  const mine = new Set(haproxyOf(dataDir));
  return liveProcs().filter((p) => mine.has(p.pid) && !mine.has(p.ppid));
}

/** Live processes whose environment holds `name=value`. */
export function pidsWithEnv(name: string, value: string): number[] {
  return liveProcs()
    .filter(({ pid }) => read(`/proc/${pid}/environ`).split('\0').includes(`${name}=${value}`))
    .map((p) => p.pid);
}

/** The value of one environment variable of a process, or undefined. */
export function envOf(pid: number, name: string): string | undefined {
  const entry = read(`/proc/${pid}/environ`).split('\0').find((e) => e.startsWith(`${name}=`));
  return entry?.slice(name.length + 1);
}
