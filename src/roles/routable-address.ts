/**
 * The I/O behind core/routable-address.ts: resolving the host names given as --advertise / --address, and
 * finding the source address of this host's route to the store. A UDP socket `connect()`ed to the store
 * asks the kernel's routing table which local address it would send from; no packet is sent.
 */
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { RoleConfig } from '../cli/options.js';
import { parseStoreUrl } from '../store/index.js';
import { chooseAddresses, remoteStoreEndpoint, type AddressChoice } from '../core/routable-address.js';

export type Resolve = (name: string) => Promise<string>;

/** A host name's first address (IPv4 first, as the routers and Docker's port bindings want); an IP as it is. */
export const resolveName: Resolve = async (name) => (isIP(name) ? name : (await lookup(name, { family: 0, order: 'ipv4first' })).address);

/** Every address of this host's interfaces (in its network namespace), loopback included. */
export function localAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
}

/** The local address the kernel would send from to reach host:port (no packet leaves). */
export function routeSource(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.connect(port, host, () => {
      try {
        resolve(socket.address().address);
      } catch (err) {
        reject(err);
      } finally {
        socket.close();
      }
    });
  });
}

/**
 * The addresses `paz up|server|agent` use (see chooseAddresses), or a refusal to start (exit 2) when the
 * flags name a loopback address for a remote store, a name that does not resolve, or an --address name that
 * resolves to no address of this host.
 */
export async function settleAddresses(
  cfg: Pick<RoleConfig, 'storeUrl' | 'given'>,
  io: { resolve: Resolve; routeSource: (host: string, port: number) => Promise<string>; localAddresses: () => string[] } = { resolve: resolveName, routeSource, localAddresses },
): Promise<AddressChoice | { refused: string }> {
  const location = parseStoreUrl(cfg.storeUrl);
  const remote = remoteStoreEndpoint(location.kind === 'etcd' ? location.endpoints : undefined);
  const resolved = new Map<string, string>();
  for (const [flag, value] of [['--advertise', cfg.given.advertise], ['--address', cfg.given.address]] as const) {
    if (value === undefined || isIP(value) || resolved.has(value)) continue;
    try {
      resolved.set(value, await io.resolve(value));
    } catch (err) {
      return { refused: `${flag} ${value} does not resolve to an address (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): give an IP, or a host name this host can resolve` };
    }
  }
  let source: string | undefined;
  if (remote && (cfg.given.address === undefined || cfg.given.advertise === undefined)) {
    try {
      source = await io.routeSource(remote.host, remote.port);
    } catch (err) {
      return { refused: `could not find this host's route to the store at ${remote.host}:${remote.port} (${(err as Error).message}): give --address (and --advertise) the address other hosts reach this one at` };
    }
  }
  const named = cfg.given.address !== undefined && isIP(cfg.given.address) === 0;
  return chooseAddresses({ given: cfg.given, storeHost: remote ? `${remote.host}:${remote.port}` : undefined, routeSource: source, resolved, ...(named ? { localAddresses: io.localAddresses() } : {}) });
}

/**
 * Why `paz up|server|agent` cannot listen on the addresses its bind flags name, or undefined: a name there
 * (`localhost` is common) must resolve, checked before anything is claimed, so a typo is one clear refusal
 * (exit 2) instead of Node's getaddrinfo error after the data dir was claimed and half of Paz had started.
 */
export async function bindProblem(binds: ReadonlyArray<{ flag: string; address: string }>, resolve: Resolve = resolveName): Promise<string | undefined> {
  for (const { flag, address } of binds) {
    if (isIP(address) !== 0) continue;
    try {
      await resolve(address);
    } catch {
      return `${flag} ${address} is neither an IP address nor a host name that resolves here; give an address of this host to listen on (127.0.0.1, 0.0.0.0, or one of its interfaces)`;
    }
  }
  return undefined;
}
