/**
 * The router's input: which services exist and which instance endpoints serve each of them.
 * The agent builds a RouteTable from the endpoint keys it watches and hands it to `Router.apply()`;
 * everything in this file is pure.
 */
import { isIP } from 'node:net';

export interface RouteServer {
  /** unit name, e.g. `demo-api-3-1`; identifies the server across applies (slot stability) */
  name: string;
  /** IPv4 or IPv6 literal (no host names: HAProxy would resolve them only at start) */
  address: string;
  port: number;
  /** 0..256, HAProxy's weight range; default 100 */
  weight?: number;
  /** `drain`: no new connections, in-flight requests finish */
  state: 'ready' | 'drain';
}

/**
 * How HAProxy checks a service's servers. HTTP by default: a TCP connect to a published port succeeds behind
 * Docker's userland proxy while nothing listens in the container, an HTTP answer cannot be faked. `expect`:
 * '2xx' for a configured health path, 'answer' (any status 200-499) for the default `/`.
 */
export type RouteCheck = { type: 'http'; path: string; expect: '2xx' | 'answer' } | { type: 'tcp' };

export const DEFAULT_ROUTE_CHECK: RouteCheck = { type: 'http', path: '/', expect: 'answer' };

export interface RouteService {
  name: string;
  servers: RouteServer[];
  /** false: answers on `<svc>.paz` only, not on `<svc>.<domain>` (default true) */
  publicFacing?: boolean;
  /** default: DEFAULT_ROUTE_CHECK */
  check?: RouteCheck;
}

export interface RouteTable {
  /** cluster domain, e.g. `paz` or `example.com`; services answer on `<svc>.paz`, public-facing ones on `<svc>.<domain>` too */
  domain: string;
  services: RouteService[];
  /** service whose instances answer requests with an unknown Host (the seed's "host port 80" case) */
  defaultService?: string;
}

export const DEFAULT_WEIGHT = 100;
export const MAX_WEIGHT = 256;

/** A DNS label: service names become host names (`<svc>.paz`) and HAProxy backend names. */
const SERVICE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Unit names only live in the router's memory and in stats, but keep them printable and bounded. */
const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** A check path is one word of HAProxy's configuration: no spaces, quotes, comments or escapes. */
const CHECK_PATH = /^\/[A-Za-z0-9\-._~/?=&%+:]{0,511}$/;
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function isValidServiceName(name: string): boolean {
  return SERVICE_NAME.test(name);
}

export function isValidDomain(domain: string): boolean {
  return domain.length <= 253 && domain.split('.').every((label) => DOMAIN_LABEL.test(label));
}

export function serverWeight(server: RouteServer): number {
  return server.weight ?? DEFAULT_WEIGHT;
}

/** Every problem of a table, each a sentence that says what to fix; empty when the table is valid. */
export function validateRouteTable(table: RouteTable): string[] {
  const problems: string[] = [];
  if (!isValidDomain(table.domain)) {
    problems.push(`domain ${JSON.stringify(table.domain)} is not a lower-case DNS name (e.g. "paz" or "example.com")`);
  }
  const serviceNames = new Set<string>();
  for (const service of table.services) {
    const where = `service ${JSON.stringify(service.name)}`;
    if (!isValidServiceName(service.name)) {
      problems.push(`${where}: name must be a lower-case DNS label (a-z, 0-9, '-', at most 63 characters)`);
    }
    if (serviceNames.has(service.name)) problems.push(`${where}: listed twice`);
    const check = service.check;
    if (check && check.type === 'http' && !CHECK_PATH.test(check.path)) {
      problems.push(`${where}: check path ${JSON.stringify(check.path)} must start with / and use only A-Z a-z 0-9 and - . _ ~ / ? = & % + :`);
    }
    serviceNames.add(service.name);
    const serverNames = new Set<string>();
    for (const server of service.servers) {
      const at = `${where}, server ${JSON.stringify(server.name)}`;
      if (!SERVER_NAME.test(server.name)) {
        problems.push(`${at}: name must be 1-128 characters of A-Z a-z 0-9 _ . - (a unit name like demo-api-3-1)`);
      }
      if (serverNames.has(server.name)) problems.push(`${at}: listed twice in the service`);
      serverNames.add(server.name);
      if (isIP(server.address) === 0) problems.push(`${at}: address ${JSON.stringify(server.address)} is not an IP literal`);
      if (!Number.isInteger(server.port) || server.port < 1 || server.port > 65535) {
        problems.push(`${at}: port ${server.port} is not an integer in 1..65535`);
      }
      const weight = serverWeight(server);
      if (!Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT) {
        problems.push(`${at}: weight ${weight} is not an integer in 0..${MAX_WEIGHT}`);
      }
      if (server.state !== 'ready' && server.state !== 'drain') {
        problems.push(`${at}: state ${JSON.stringify(server.state)} is neither "ready" nor "drain"`);
      }
    }
  }
  if (table.defaultService !== undefined && !isValidServiceName(table.defaultService)) {
    problems.push(`defaultService ${JSON.stringify(table.defaultService)} is not a valid service name`);
  }
  return problems;
}

export class InvalidRouteTableError extends Error {
  readonly code = 'ROUTER_INVALID_ROUTE_TABLE';
  constructor(readonly problems: string[]) {
    super(`invalid route table: ${problems.join('; ')}`);
    this.name = 'InvalidRouteTableError';
  }
}

export function assertValidRouteTable(table: RouteTable): void {
  const problems = validateRouteTable(table);
  if (problems.length > 0) throw new InvalidRouteTableError(problems);
}
