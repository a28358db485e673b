// How busy the machine's CPUs were between two moments, from /proc/stat (Linux; elsewhere undefined).
// The test runner prints it beside each file's time: run with --lanes 1 it is what that file (with the
// daemons it talks to) takes of the machine, which is what its `test-lane:` CPU class should say.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** the whole machine's CPU time so far, in clock ticks: { busy, total }, or undefined without /proc/stat */
export function cpuTicks() {
  let line;
  try {
    line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  } catch {
    return undefined;
  }
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
  const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  const waiting = idle + iowait;
  const total = user + nice + system + waiting + irq + softirq + steal;
  return { busy: total - waiting, total };
}

/** how many cores' worth were busy on average between two cpuTicks() readings ("1.3"), or undefined */
export function coresBusy(before, after, cores = cpus().length) {
  if (!before || !after || after.total <= before.total) return undefined;
  return ((after.busy - before.busy) / (after.total - before.total)) * cores;
}
