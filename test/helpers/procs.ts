/**
 * What runs on this host, read from /proc, for tests about leftovers: the HAProxy processes of a data dir's
 * router, and processes carrying a marker in their environment (a test's unit processes). Zombies (exited,
 * waiting for their parent) do not count.
 */
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
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

// `unified`: the hybrid layout's cgroup v2 tree, where dockerd (runc) makes the containers' cgroups too; its
// directories are emptied and removed the same way
const CGROUP_V1_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'pids', 'blkio', 'devices', 'freezer', 'cpuset', 'systemd', 'unified'];

/** Every PID in a cgroup v1 directory and the ones below it. */
export function cgroupTreeProcs(dir: string): number[] {
  const pids: number[] = [];
  try {
    pids.push(...readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number));
    for (const d of readdirSync(dir, { withFileTypes: true })) if (d.isDirectory()) pids.push(...cgroupTreeProcs(join(dir, d.name)));
  } catch {
    /* absent, or removed meanwhile */
  }
  return pids;
}

/**
 * A test's cgroup parent (e.g. the process driver's --cgroup-parent, dockerd's --cgroup-parent) gone from every
 * v1 controller: what still runs in it is SIGKILLed, then the directories are removed bottom-up (retrying while
 * the kernel lets go of the killed). Units outlive their agent on purpose, so a test that started some ends them here.
 */
export async function removeCgroupParent(name: string): Promise<void> {
  const roots = CGROUP_V1_CONTROLLERS.map((c) => `/sys/fs/cgroup/${c}/${name}`);
  for (let round = 0; round < 50; round++) {
    const pids = roots.flatMap(cgroupTreeProcs);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const removeTree = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const d of entries) if (d.isDirectory()) removeTree(join(dir, d.name));
    try {
      rmdirSync(dir);
    } catch {
      /* busy a moment longer: the next round */
    }
  };
  for (let round = 0; round < 50 && roots.some((r) => existsSync(r)); round++) {
    for (const r of roots) removeTree(r);
    if (roots.some((r) => existsSync(r))) await new Promise((r) => setTimeout(r, 100));
  }
}

/** The unit names (PAZ_UNIT, set by the process driver) of every live process in these cgroup parents, one per process. */
export function unitProcessesIn(cgroupParents: string[]): string[] {
  const out: string[] = [];
  for (const parent of cgroupParents) {
    for (const pid of cgroupTreeProcs(`/sys/fs/cgroup/pids/${parent}`)) {
      const unit = envOf(pid, 'PAZ_UNIT');
      if (unit) out.push(unit);
    }
  }
  return out;
}

/**
 * Calls `sample` every `everyMs` until stopped and remembers every unit it ever names: the units found running
 * twice at one sample, by whichever source (processes in cgroups here, a cluster's hosts in ha-cluster.ts).
 */
export function sampleRunningTwice(sample: () => string[], everyMs = 300): { stop(): string[]; samples(): number } {
  const seen = new Set<string>();
  let samples = 0;
  const timer = setInterval(() => {
    samples++;
    for (const u of sample()) seen.add(u);
  }, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return [...seen];
    },
    samples: () => samples,
  };
}

/**
 * Samples the unit processes of these cgroup parents every `everyMs` until stopped, and answers every unit seen
 * running twice at one sample. A unit its agent restarted between two samples is one process at each.
 */
export function watchUnitsRunningTwice(cgroupParents: string[], everyMs = 300): { stop(): string[] } {
  return sampleRunningTwice(() => {
    const all = unitProcessesIn(cgroupParents);
    return all.filter((u, i) => all.indexOf(u) !== i);
  }, everyMs);
}
