// Starting, probing and stopping processes by PID. Nothing here ever signals a process by name.
import { spawn } from 'node:child_process';
import { openSync, closeSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** true while the PID exists and is not a zombie */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  try {
    // field 3 of /proc/PID/stat is the state; 'Z' = exited, waiting to be reaped by its parent
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** waits until the PID is gone; true if it went within timeoutMs */
export async function waitForExit(pid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  return !isAlive(pid);
}

function signal(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * SIGTERM, wait up to graceMs, then SIGKILL and wait up to 10 s more.
 * Returns 'not-running' | 'terminated' | 'killed' | 'stuck'.
 */
export async function stopProcess(pid, graceMs) {
  if (!pid || !isAlive(pid)) return 'not-running';
  signal(pid, 'SIGTERM');
  if (await waitForExit(pid, graceMs)) return 'terminated';
  signal(pid, 'SIGKILL');
  return (await waitForExit(pid, 10_000)) ? 'killed' : 'stuck';
}

/**
 * Starts a long-running daemon in its own process group (a Ctrl-C in the terminal reaches the runner,
 * which stops daemons in order, not the daemons directly), output appended to logFile.
 */
export function spawnDaemon(command, args, { logFile, env = process.env }) {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { stdio: ['ignore', fd, fd], detached: true, env });
    child.on('error', () => {}); // a failed exec surfaces as the child's 'exit'; the caller checks that
    return child;
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs a command to completion, collecting its output. Bounded: killed (by PID) after timeoutMs.
 * Resolves { code, stdout, stderr, timedOut }; never rejects for a non-zero exit.
 */
export function runCommand(command, args, { timeoutMs = 60_000, env = process.env, onChild } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    onChild?.(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      signal(child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: stderr + String(err), timedOut });
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      resolve({ code: code ?? (sig ? 128 : 1), stdout, stderr, timedOut });
    });
  });
}

function allPids() {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

/**
 * PIDs of programs named in `programs` (as /proc/PID/comm shows them, at most 15 characters) whose
 * command line mentions `text`, e.g. the daemons that were given our temp dir. Limited to known
 * programs so that, say, someone's `tail -f` of a log in that dir is left alone.
 */
export function pidsWithCommandLineContaining(text, programs) {
  const found = [];
  for (const pid of allPids()) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (!programs.includes(comm)) continue;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(text) && isAlive(pid)) found.push(pid);
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/** PIDs living in the network namespace whose identity link is `netnsLink` (e.g. "net:[4026532300]") */
export function pidsInNetns(netnsLink) {
  const found = [];
  for (const pid of allPids()) {
    try {
      if (readlinkSync(`/proc/${pid}/ns/net`) === netnsLink && isAlive(pid)) found.push(pid);
    } catch {
      // exited, or a kernel thread without namespaces
    }
  }
  return found;
}

/** short description of a PID for reports */
export function describePid(pid) {
  try {
    return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim().slice(0, 120)}`;
  } catch {
    return String(pid);
  }
}
