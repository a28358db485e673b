/**
 * Who holds a TCP port, from the kernel's own tables: /proc/net/tcp and /proc/net/tcp6 list every socket
 * with its local address, state and inode, and /proc/<pid>/fd/* links (`socket:[inode]`) say which process
 * has that socket open. Needed because HAProxy binds with SO_REUSEPORT: a second HAProxy (or anything else
 * using SO_REUSEPORT) on the router's port binds without error and silently takes half the connections.
 * Pure parsing here; the reads are in port-holders.ts.
 */

export interface SocketEntry {
  /** dotted IPv4 (`127.0.0.1`) or full IPv6 (`::`, `::1`, `::ffff:127.0.0.1`) */
  address: string;
  port: number;
  /** kernel TCP state; `0A` is LISTEN */
  state: string;
  inode: number;
  family: 4 | 6;
}

export const TCP_LISTEN = '0A';

/** One 32-bit word of /proc/net/tcp* hex, which the kernel prints in host (little-endian) byte order. */
function wordBytes(hex8: string): number[] {
  const n = parseInt(hex8, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

function ipv6Text(bytes: number[]): string {
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  // compress the longest run of zero groups, as inet_ntop does
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** Decodes `0100007F:1F90` (IPv4) or a 32-hex-digit IPv6 address with its port. */
export function parseHexAddress(text: string): { address: string; port: number; family: 4 | 6 } {
  const [hex, portHex] = text.split(':');
  const port = parseInt(portHex, 16);
  if (hex.length === 8) return { address: wordBytes(hex).join('.'), port, family: 4 };
  if (hex.length === 32) {
    const bytes: number[] = [];
    for (let i = 0; i < 32; i += 8) bytes.push(...wordBytes(hex.slice(i, i + 8)));
    return { address: ipv6Text(bytes), port, family: 6 };
  }
  throw new Error(`not a /proc/net/tcp address: ${JSON.stringify(text)}`);
}

/** Every socket of a /proc/net/tcp or /proc/net/tcp6 file (the header line is skipped). */
export function parseProcNetTcp(text: string): SocketEntry[] {
  const out: SocketEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const local = parseHexAddress(f[1]);
    out.push({ ...local, state: f[3], inode: Number(f[9]) });
  }
  return out;
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/**
 * Whether a listener at `held` takes connections meant for a bind at `wanted` on the same port: the same
 * address, either one a wildcard, or an IPv4-mapped IPv6 address of it. (`::` is counted as dual-stack:
 * /proc does not show IPV6_V6ONLY, and dual-stack is Linux's default.)
 */
export function addressesOverlap(wanted: string, held: string): boolean {
  if (wanted === held || WILDCARDS.has(wanted) || WILDCARDS.has(held)) return true;
  const unmapped = held.startsWith('::ffff:') ? held.slice('::ffff:'.length) : held;
  return unmapped === wanted;
}

/** Inodes of the listening sockets that overlap `bindAddress:port`. */
export function listenerInodes(entries: SocketEntry[], port: number, bindAddress: string): Set<number> {
  return new Set(entries.filter((e) => e.state === TCP_LISTEN && e.port === port && addressesOverlap(bindAddress, e.address)).map((e) => e.inode));
}

/** The inode of a `/proc/<pid>/fd/<n>` link target `socket:[12345]`, undefined for other files. */
export function socketInodeOf(linkTarget: string): number | undefined {
  const m = /^socket:\[(\d+)\]$/.exec(linkTarget);
  return m ? Number(m[1]) : undefined;
}

/** /proc/<pid>/cmdline (arguments separated and ended by NUL) as one line. */
export function cmdlineText(raw: string): string {
  return raw.replace(/\0+$/, '').split('\0').join(' ');
}

export interface PortHolder {
  pid: number;
  /** the command line, or undefined when it could not be read (the process ended meanwhile) */
  cmdline?: string;
}

/** `pid 123 (haproxy -W -f /x/haproxy.cfg)` for messages; workers of one master are all listed. */
export function describeHolders(holders: PortHolder[]): string {
  if (holders.length === 0) return 'a process this user cannot see (its socket is in no readable /proc/<pid>/fd)';
  return holders.map((h) => `pid ${h.pid} (${h.cmdline ?? 'command line unreadable'})`).join(', ');
}
