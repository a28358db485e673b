// Network namespaces made with iproute2: the test environment's private loopback and docker bridge.
import { existsSync, statSync } from 'node:fs';
import { runCommand } from './processes.mjs';

export const netnsPath = (name) => `/run/netns/${name}`;

export function netnsExists(name) {
  return existsSync(netnsPath(name));
}

/** identity of the namespace as /proc/PID/ns/net shows it, e.g. "net:[4026532300]" */
export function netnsLink(name) {
  return `net:[${statSync(netnsPath(name)).ino}]`;
}

export async function createNetns(name) {
  for (const args of [['netns', 'add', name], ['-n', name, 'link', 'set', 'lo', 'up']]) {
    const r = await runCommand('ip', args, { timeoutMs: 15_000 });
    if (r.code !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr.trim()}`);
  }
}

export async function deleteNetns(name) {
  if (!netnsExists(name)) return;
  const r = await runCommand('ip', ['netns', 'delete', name], { timeoutMs: 15_000 });
  if (r.code !== 0 && netnsExists(name)) throw new Error(`ip netns delete ${name} failed: ${r.stderr.trim()}`);
}

/**
 * Command prefix that runs a program inside the namespace. Only the network namespace is entered
 * (nsenter --net): `ip netns exec` would also remount /sys, hiding the cgroup mounts dockerd needs.
 */
export function inNetns(name, command, args) {
  return { command: 'nsenter', args: [`--net=${netnsPath(name)}`, command, ...args] };
}
