/**
 * What an agent tells the cluster about its host when it registers: name, size and addresses. Read from
 * node:os; the mapping from node:os shapes to ours is pure so it is tested on fixed values.
 */
import os from 'node:os';

export interface HostAddress {
  interface: string;
  address: string;
  family: 'IPv4' | 'IPv6';
  /** loopback */
  internal: boolean;
}

export interface HostFacts {
  hostname: string;
  /** logical CPUs */
  cpus: number;
  memoryBytes: number;
  /** operating system kind, e.g. `Linux` */
  os: string;
  /** kernel release, e.g. `6.1.0-18-amd64` */
  kernel: string;
  /** CPU architecture, e.g. `x64` */
  arch: string;
  /** external addresses first (IPv4 before IPv6), loopback last */
  addresses: HostAddress[];
}

function isLinkLocal(a: os.NetworkInterfaceInfo): boolean {
  return a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80:');
}

/**
 * Flattens os.networkInterfaces() into addresses a peer could use: IPv6 link-local addresses are left out
 * (they need a zone id to be reachable). Order: external before loopback, IPv4 before IPv6, then by interface.
 */
export function hostAddresses(interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>): HostAddress[] {
  const out: HostAddress[] = [];
  for (const [name, infos] of Object.entries(interfaces)) {
    for (const a of infos ?? []) {
      if (isLinkLocal(a)) continue;
      out.push({ interface: name, address: a.address, family: a.family, internal: a.internal });
    }
  }
  const rank = (a: HostAddress) => (a.internal ? 2 : 0) + (a.family === 'IPv6' ? 1 : 0);
  return out.sort((a, b) => rank(a) - rank(b) || a.interface.localeCompare(b.interface) || a.address.localeCompare(b.address));
}

/** The address other hosts should reach this one at: the first external IPv4 address, else loopback. */
export function primaryAddress(addresses: HostAddress[]): string {
  return addresses.find((a) => !a.internal && a.family === 'IPv4')?.address ?? '127.0.0.1';
}

export interface OsReadings {
  hostname: string;
  cpuCount: number;
  totalmem: number;
  type: string;
  release: string;
  arch: string;
  interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>;
}

export function hostFactsFrom(r: OsReadings): HostFacts {
  return {
    hostname: r.hostname,
    cpus: r.cpuCount,
    memoryBytes: r.totalmem,
    os: r.type,
    kernel: r.release,
    arch: r.arch,
    addresses: hostAddresses(r.interfaces),
  };
}

export function readHostFacts(): HostFacts {
  return hostFactsFrom({
    hostname: os.hostname(),
    // availableParallelism honours CPU affinity (Node >= 18.14); cpus() may list CPUs we cannot use
    cpuCount: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
    totalmem: os.totalmem(),
    type: os.type(),
    release: os.release(),
    arch: os.arch(),
    interfaces: os.networkInterfaces(),
  });
}
