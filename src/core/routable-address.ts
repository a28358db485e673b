/**
 * Which address other hosts reach this one at (pure). On one host (an embedded SQLite store, or etcd on
 * loopback) that is 127.0.0.1. With a store on another host, 127.0.0.1 would send every other host's router
 * to its own loopback, so the address is the one given (--advertise, --address; a host name is resolved) or,
 * when none is, the source address of this host's route to the store: the interface the cluster sees us on.
 */
import { isIP } from 'node:net';
import { isLoopback } from './loopback.js';

export const LOCAL_ADDRESS = '127.0.0.1';
const ETCD_CLIENT_PORT = 2379;

/** `host:port`, `[v6]:port`, `host` or an `http(s)://` URL (as etcd endpoints may be written) split into host and port. */
export function splitHostPort(endpoint: string, defaultPort = ETCD_CLIENT_PORT): { host: string; port: number } {
  const bare = endpoint.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(bare);
  if (v6) return { host: v6[1], port: v6[2] ? Number(v6[2]) : defaultPort };
  // a bare IPv6 literal has several colons and no port
  if (isIP(bare) === 6) return { host: bare, port: defaultPort };
  const colon = bare.lastIndexOf(':');
  if (colon === -1) return { host: bare, port: defaultPort };
  return { host: bare.slice(0, colon), port: Number(bare.slice(colon + 1)) || defaultPort };
}

/**
 * The first store endpoint on another host, or undefined when the store is on this one (SQLite, or every
 * etcd endpoint on loopback): the one our route to the store is measured against.
 */
export function remoteStoreEndpoint(etcdEndpoints: string[] | undefined): { host: string; port: number } | undefined {
  for (const e of etcdEndpoints ?? []) {
    const hp = splitHostPort(e);
    if (!isLoopback(hp.host)) return hp;
  }
  return undefined;
}

/**
 * Why `address` (given as `flag`, resolving to `resolved`) cannot be what other hosts use, or undefined when
 * it can. Loopback is refused only when the store is on another host: on one host it is the right answer.
 */
export function loopbackAddressProblem(input: { flag: string; given: string; resolved: string; storeHost: string }): string | undefined {
  if (!isLoopback(input.resolved)) return undefined;
  const name = input.given === input.resolved ? input.given : `${input.given} (${input.resolved})`;
  return (
    `${input.flag} ${name} is loopback, but the store is on another host (${input.storeHost}): every other host would ` +
    `send this host's traffic to its own loopback. Give the address other hosts reach this one at (${input.flag} 10.0.0.5, ` +
    'or a host name that resolves to it), or leave it out and Paz uses the address of its route to the store'
  );
}

/**
 * Why a host name given as --address cannot be this host's address now: it resolves to an address none of
 * this host's interfaces has (the name points at another host, or moved), or undefined when it can. Only a
 * name is judged: an IP given as --address is the operator's explicit word (a NAT'd address, say).
 */
export function foreignAddressProblem(input: { given: string; resolved: string; local: readonly string[] }): string | undefined {
  // loopback (all of 127/8 is this host's, e.g. Debian's 127.0.1.1 for its own name) is judged by loopbackAddressProblem
  if (isIP(input.given) !== 0 || input.local.includes(input.resolved) || isLoopback(input.resolved)) return undefined;
  return (
    `--address ${input.given} resolves to ${input.resolved}, which is not an address of this host (it has ${input.local.join(', ') || 'none'}): ` +
    `every other host would send this host's traffic there. Point ${input.given} at this host, or give this host's IP as --address`
  );
}

export interface AddressChoice {
  /** what the control plane announces at /paz/services/<component> (a host name is kept as given) */
  advertise: string;
  /** the agent's address: an IP literal (instance endpoints, Docker's port bindings and HAProxy need one) */
  address: string;
  /** the host name --address gave, re-resolved at each heartbeat; absent when an IP was given or chosen */
  addressName?: string;
  /** where the agent's API listens */
  agentBind: string;
}

/**
 * The addresses to use, from the flags as given (undefined: not given), what each given name resolves to
 * (`resolved`, name -> IP), and, with a remote store, the source address of the route to it. Answers a
 * refusal (a usage error) when a loopback address would be announced to other hosts.
 */
export function chooseAddresses(input: {
  given: { advertise?: string; address?: string; agentBind?: string };
  storeHost?: string;
  routeSource?: string;
  resolved: ReadonlyMap<string, string>;
  /** this host's interface addresses: a name given as --address must resolve to one of them (see foreignAddressProblem) */
  localAddresses?: readonly string[];
}): AddressChoice | { refused: string } {
  const { given, storeHost } = input;
  const ipOf = (a: string) => (isIP(a) ? a : input.resolved.get(a) ?? a);
  const fallback = (): string => {
    if (storeHost === undefined) return LOCAL_ADDRESS;
    if (input.routeSource === undefined) throw new Error('the route source to a remote store is needed to choose addresses');
    return input.routeSource;
  };
  const advertise = given.advertise ?? fallback();
  const addressGiven = given.address ?? given.advertise;
  const addressFlag = given.address !== undefined ? '--address' : '--advertise';
  const address = addressGiven !== undefined ? ipOf(addressGiven) : fallback();
  if (storeHost !== undefined) {
    for (const [flag, value] of [
      ['--advertise', given.advertise],
      [addressFlag, addressGiven],
    ] as const) {
      if (value === undefined) continue;
      const why = loopbackAddressProblem({ flag, given: value, resolved: ipOf(value), storeHost });
      if (why) return { refused: why };
    }
    if (isLoopback(address)) {
      return { refused: `the route to the store (${storeHost}) leaves from a loopback address (${address}); give --address (and --advertise) the address other hosts reach this one at` };
    }
  }
  // a name that points elsewhere would announce this host's instances at another host's address, and the
  // heartbeat's check (agent/address-check.ts) would find nothing wrong: the name does resolve to it
  if (given.address !== undefined && input.localAddresses !== undefined) {
    const why = foreignAddressProblem({ given: given.address, resolved: ipOf(given.address), local: input.localAddresses });
    if (why) return { refused: why };
  }
  return {
    advertise,
    address,
    ...(addressGiven !== undefined && isIP(addressGiven) === 0 ? { addressName: addressGiven } : {}),
    // with a remote store the servers fetch logs and stats from the agent's API at the agent's address
    agentBind: given.agentBind ?? (storeHost !== undefined ? address : LOCAL_ADDRESS),
  };
}
