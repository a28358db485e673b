/**
 * Ending a process unit: signals to its process group, and waiting until its process is gone. A unit runs
 * in its own session and process group (spawn-unit.ts), so one signal reaches everything it forked that
 * stayed in the group.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcReader } from './proc-reader.js';

/**
 * Sends `signal` to the process group led by `pid` and, unless `groupOnly`, to `pid` itself when it moved
 * to another group (a program that called setpgid is still signalled directly).
 */
export function signalUnitProcesses(proc: ProcReader, pid: number, signal: NodeJS.Signals, opts: { groupOnly?: boolean } = {}): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // no such group any more
  }
  if (opts.groupOnly) return;
  const stat = proc.stat(pid);
  if (stat && stat.pgrp !== pid) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Resolves true once the process is gone, false after `ms`. A child of this process proves its death (and has
 * its exit recorded) through `exited`; any other process is polled through /proc.
 */
export async function waitUntilGone(isRunning: () => boolean, exited: Promise<void> | undefined, ms: number): Promise<boolean> {
  if (exited) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
    const done = await Promise.race([exited.then(() => true), timeout]);
    clearTimeout(timer);
    return done;
  }
  const deadline = Date.now() + ms;
  for (;;) {
    if (!isRunning()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(50, Math.max(1, deadline - Date.now())));
  }
}
