/**
 * "Is the app listening, and can it be reached?" seen from inside its own network namespace, without entering it:
 * /proc/<pid>/net/tcp and /proc/<pid>/net/tcp6 list the sockets of the namespace that process <pid> is in. A
 * LISTEN socket (state 0A) on the port means the app itself accepts connections, unlike a connect to a published
 * port, which Docker's userland proxy accepts while nothing listens in the container. A LISTEN socket on the
 * container's loopback only (an app bound to 127.0.0.1 or ::1, the default of many development servers) cannot be
 * reached through the published port either: Docker forwards to the container's own address. Parsing and the
 * verdict are pure; `listenersOf` reads the two files.
 */
import { readFile } from 'node:fs/promises';

const TCP_LISTEN = '0A';

/** A socket in LISTEN state: its local address as written (`0.0.0.0`, `127.0.0.1`, `::`, `::1` …) and port. */
export interface Listener {
  address: string;
  port: number;
  /** bound to a loopback address (127.0.0.0/8, ::1, ::ffff:127.x.x.x): reachable only from inside the namespace */
  loopback: boolean;
}

/** The bytes of a /proc/net/tcp{,6} address: 32-bit words in host (little-endian) order, as the kernel prints them. */
function addressBytes(hex: string): number[] {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = hex.slice(w, w + 8);
    for (let b = 6; b >= 0; b -= 2) bytes.push(parseInt(word.slice(b, b + 2), 16));
  }
  return bytes;
}

function describeAddress(bytes: number[]): { address: string; loopback: boolean } {
  if (bytes.length === 4) return { address: bytes.join('.'), loopback: bytes[0] === 127 };
  const v4mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (v4mapped) return { address: `::ffff:${bytes.slice(12).join('.')}`, loopback: bytes[12] === 127 };
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  // the URL parser writes an IPv6 address in its shortest form ("::1", "::")
  const address = new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
  return { address, loopback: address === '::1' };
}

/** The sockets in LISTEN state, from the text of /proc/<pid>/net/tcp or tcp6. */
export function listenersIn(procNetTcp: string): Listener[] {
  const out: Listener[] = [];
  for (const line of procNetTcp.split('\n')) {
    // "  0: 00000000:1F90 00000000:0000 0A ..." (tcp6: 32 hex digits before the colon)
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4 || !/^\d+:$/.test(fields[0])) continue;
    if (fields[3].toUpperCase() !== TCP_LISTEN) continue;
    const local = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(fields[1]);
    if (!local) continue;
    out.push({ ...describeAddress(addressBytes(local[1])), port: parseInt(local[2], 16) });
  }
  return out;
}

/** Local ports with a socket in LISTEN state, whatever their address. */
export function listeningPorts(procNetTcp: string): Set<number> {
  return new Set(listenersIn(procNetTcp).map((l) => l.port));
}

export type ListenersRead = { listeners: Listener[] } | { unreadable: string };

/** The LISTEN sockets of the network namespace of `pid` (tcp and tcp6); `unreadable` when /proc has no answer. */
export async function listenersOf(pid: number, procRoot = '/proc'): Promise<ListenersRead> {
  const texts = await Promise.all(['tcp', 'tcp6'].map((f) => readFile(`${procRoot}/${pid}/net/${f}`, 'utf8').catch((e: NodeJS.ErrnoException) => e)));
  const readable = texts.filter((t): t is string => typeof t === 'string');
  if (readable.length === 0) return { unreadable: `/proc/${pid}/net/tcp: ${(texts[0] as NodeJS.ErrnoException).code ?? 'unreadable'}` };
  return { listeners: readable.flatMap(listenersIn) };
}

/**
 * Whether `port` in a container can be reached from outside it (through its published port), from its
 * listeners: `reachable`, `loopback-only` (something listens on the port, but only on the container's
 * loopback), or `absent` (nothing listens on the port; `elsewhere`: the ports the app does listen on).
 */
export type Reach = { kind: 'reachable' } | { kind: 'loopback-only'; addresses: string[] } | { kind: 'absent'; elsewhere: number[] };

export function reachFromOutside(port: number, listeners: readonly Listener[]): Reach {
  const onPort = listeners.filter((l) => l.port === port);
  if (onPort.some((l) => !l.loopback)) return { kind: 'reachable' };
  if (onPort.length > 0) return { kind: 'loopback-only', addresses: [...new Set(onPort.map((l) => l.address))] };
  return { kind: 'absent', elsewhere: [...new Set(listeners.filter((l) => !l.loopback).map((l) => l.port))].sort((a, b) => a - b) };
}

/**
 * Why nothing from outside the container gets through to `port`, in the terms a user fixes it in; undefined
 * when the port is reachable (then the app itself accepted and did not answer). The two everyday mistakes:
 * the service names another port than the app serves on, and the app binds to localhost.
 */
export function explainUnreachable(port: number, reach: Reach): string | undefined {
  switch (reach.kind) {
    case 'reachable':
      return undefined;
    case 'loopback-only':
      return `the app listens on port ${port} only on ${reach.addresses.join(' and ')} inside its container, which the published port cannot reach: make it listen on 0.0.0.0 (all addresses)`;
    case 'absent':
      if (reach.elsewhere.length === 0) return `nothing listens on port ${port} inside the container (yet)`;
      return `nothing listens on port ${port} inside the container, the app listens on ${reach.elsewhere.join(', ')}: the service's container port (ports[].container, or healthCheck.port) must be the one the app serves on`;
  }
}
