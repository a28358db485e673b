/**
 * Options shared by the commands that start roles. Each is a flag and an environment variable
 * (`--data-dir` / PAZ_DATA_DIR, …); flags win.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { StoreTlsFiles } from '../store/index.js';
import { UsageError, usageErrorFrom } from './usage-error.js';
import { MAX_ROUTER_THREADS } from '../core/router-threads.js';

export const roleOptions = {
  'data-dir': { type: 'string' },
  store: { type: 'string' },
  bind: { type: 'string' },
  advertise: { type: 'string' },
  'orchestrator-port': { type: 'string' },
  'directory-port': { type: 'string' },
  'scheduler-port': { type: 'string' },
  'log-level': { type: 'string' },
  'no-agent': { type: 'boolean' },
  driver: { type: 'string' },
  'agent-port': { type: 'string' },
  address: { type: 'string' },
  label: { type: 'string', multiple: true },
  'router-port': { type: 'string' },
  'router-bind': { type: 'string' },
  'router-threads': { type: 'string' },
  'no-router': { type: 'boolean' },
  domain: { type: 'string' },
  'host-loss-grace': { type: 'string' },
  'resync-seconds': { type: 'string' },
  'image-keep': { type: 'string' },
  'image-gc-seconds': { type: 'string' },
  'cgroup-parent': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'router-tls-dir': { type: 'string' },
  'router-https-port': { type: 'string' },
  'cluster-token': { type: 'string' },
  'store-ca': { type: 'string' },
  'store-cert': { type: 'string' },
  'store-key': { type: 'string' },
  'no-auth': { type: 'boolean' },
  'agent-bind': { type: 'string' },
  'volume-root': { type: 'string' },
  'unit-user': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export type Flags = Record<string, string | boolean | string[] | undefined>;

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals: allowPositionals as true, strict: true });
  } catch (e) {
    throw usageErrorFrom(e, Object.keys(options)) ?? e;
  }
}

function str(flags: Flags, name: string, env: string): string | undefined {
  const v = flags[name];
  if (typeof v === 'string') return v;
  return process.env[env];
}

export function portOption(flags: Flags, name: string, env: string, fallback: number): number {
  const raw = str(flags, name, env);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--${name} (${env}) must be a port number from 0 to 65535, got "${raw}"`);
  return n;
}

/** --image-keep: versions per service whose images stay on an agent's host, 0 (none removed) to 1000; absent: the default */
function imageKeepOption(flags: Flags): number | undefined {
  const raw = str(flags, 'image-keep', 'PAZ_IMAGE_KEEP');
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < 0 || n > 1000) throw new UsageError(`--image-keep (PAZ_IMAGE_KEEP) must be a whole number of versions from 0 (remove none) to 1000, got "${raw}"`);
  return n;
}

/** --router-threads: HAProxy's threads, 1 to MAX_ROUTER_THREADS; absent: the router's default (routerThreadsFor its CPUs) */
function routerThreadsOption(flags: Flags): number | undefined {
  const raw = str(flags, 'router-threads', 'PAZ_ROUTER_THREADS');
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < 1 || n > MAX_ROUTER_THREADS) throw new UsageError(`--router-threads (PAZ_ROUTER_THREADS) must be a whole number from 1 to ${MAX_ROUTER_THREADS}, got "${raw}"`);
  return n;
}

function secondsOption(flags: Flags, name: string, env: string): number | undefined {
  const raw = str(flags, name, env);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 1 || n > 86400) throw new UsageError(`--${name} (${env}) must be a number of seconds from 1 to 86400, got "${raw}"`);
  return n;
}

export interface RoleConfig {
  dataDir: string;
  storeUrl: string;
  bind: string;
  advertise: string;
  ports: { orchestrator: number; directory: number; scheduler: number };
  logLevel: string;
  domain?: string;
  hostLossGraceSeconds?: number;
  /** the APIs serve HTTPS from these PEM files */
  tls?: { cert: string; key: string };
  /** --cluster-token / PAZ_CLUSTER_TOKEN, when given (else the data dir's file: roles/cluster-token.ts) */
  clusterToken?: string;
  /** files for TLS to etcd: --store-ca/--store-cert/--store-key */
  storeTls: StoreTlsFiles;
  /** 'tokens' unless --no-auth / PAZ_AUTH=off (loopback only) */
  auth: 'tokens' | 'off';
  /** host volumes must lie under this directory (control plane: written to the store; agent: checked again) */
  volumeRoot: string;
  /** --advertise, --address and --agent-bind as given (undefined: not given), for roles/routable-address.ts */
  given: { advertise?: string; address?: string; agentBind?: string };
  agent: { driver: string; port: number; bind: string; address: string; labels: Record<string, string>; cgroupParent?: string; unitUser: string; router?: { bind: string; port: number; tls?: RouterTlsConfig; threads?: number }; resyncSeconds?: number; imageKeep?: number; imageGcSeconds?: number };
}

/** The router's HTTPS: a directory of PEM files (certificate and key, one per domain) and the port it listens on. */
export interface RouterTlsConfig {
  dir: string;
  port: number;
}

/** --tls-cert and --tls-key come together or not at all. */
function tlsOf(flags: Flags): RoleConfig['tls'] {
  const cert = str(flags, 'tls-cert', 'PAZ_TLS_CERT');
  const key = str(flags, 'tls-key', 'PAZ_TLS_KEY');
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    throw new Error(`--tls-cert (PAZ_TLS_CERT) and --tls-key (PAZ_TLS_KEY) go together: give both files for HTTPS, or neither for plain HTTP (got only ${cert === undefined ? '--tls-key' : '--tls-cert'})`);
  }
  return { cert: resolve(cert), key: resolve(key) };
}

function routerTlsOf(flags: Flags): RouterTlsConfig | undefined {
  const dir = str(flags, 'router-tls-dir', 'PAZ_ROUTER_TLS_DIR');
  if (dir === undefined) {
    if (str(flags, 'router-https-port', 'PAZ_ROUTER_HTTPS_PORT') !== undefined) throw new Error('--router-https-port (PAZ_ROUTER_HTTPS_PORT) needs --router-tls-dir (PAZ_ROUTER_TLS_DIR): the directory of certificates to serve');
    return undefined;
  }
  return { dir: resolve(dir), port: portOption(flags, 'router-https-port', 'PAZ_ROUTER_HTTPS_PORT', 443) };
}

function labelsOf(flags: Flags): Record<string, string> {
  const raw = (flags.label as unknown as string[] | undefined) ?? (process.env.PAZ_LABELS ? process.env.PAZ_LABELS.split(',') : []);
  const out: Record<string, string> = {};
  for (const l of raw) {
    const eq = l.indexOf('=');
    if (eq <= 0) throw new Error(`--label must look like key=value, got "${l}"`);
    out[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return out;
}

function authOption(flags: Flags): 'tokens' | 'off' {
  if (flags['no-auth']) return 'off';
  const env = process.env.PAZ_AUTH;
  if (env === undefined || env === '' || env === 'on' || env === 'tokens') return 'tokens';
  if (env === 'off') return 'off';
  throw new UsageError(`PAZ_AUTH must be "off" (the loopback-only --no-auth switch) or "on", got "${env}"`);
}

/** pino's levels, the ones --log-level takes */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export const DRIVERS = ['docker', 'process', 'auto'] as const;

/** A flag (or its variable) that must be one of `allowed`: a usage error naming them, with the nearest one. */
function oneOf<T extends string>(flags: Flags, name: string, env: string, allowed: readonly T[], fallback: T): T {
  const raw = str(flags, name, env);
  if (raw === undefined) return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new UsageError(`--${name} (${env}) must be one of ${allowed.join(', ')}, got "${raw}"`);
}

export function roleConfig(flags: Flags): RoleConfig {
  const dataDir = resolve(str(flags, 'data-dir', 'PAZ_DATA_DIR') ?? join(homedir(), '.paz'));
  return {
    dataDir,
    storeUrl: str(flags, 'store', 'PAZ_STORE') ?? `sqlite:${join(dataDir, 'paz.db')}`,
    bind: str(flags, 'bind', 'PAZ_BIND') ?? '127.0.0.1',
    advertise: str(flags, 'advertise', 'PAZ_ADVERTISE') ?? '127.0.0.1',
    ports: {
      orchestrator: portOption(flags, 'orchestrator-port', 'PAZ_ORCHESTRATOR_PORT', 9000),
      directory: portOption(flags, 'directory-port', 'PAZ_SERVICE_DIRECTORY_PORT', 9001),
      scheduler: portOption(flags, 'scheduler-port', 'PAZ_SCHEDULER_PORT', 9002),
    },
    logLevel: oneOf(flags, 'log-level', 'PAZ_LOG_LEVEL', LOG_LEVELS, 'info'),
    domain: str(flags, 'domain', 'PAZ_DOMAIN'),
    hostLossGraceSeconds: secondsOption(flags, 'host-loss-grace', 'PAZ_HOST_LOSS_GRACE'),
    tls: tlsOf(flags),
    clusterToken: str(flags, 'cluster-token', 'PAZ_CLUSTER_TOKEN'),
    storeTls: storeTlsOf(flags),
    auth: authOption(flags),
    volumeRoot: resolve(str(flags, 'volume-root', 'PAZ_VOLUME_ROOT') ?? join(dataDir, 'volumes')),
    given: { advertise: str(flags, 'advertise', 'PAZ_ADVERTISE') || undefined, address: str(flags, 'address', 'PAZ_ADDRESS') || undefined, agentBind: str(flags, 'agent-bind', 'PAZ_AGENT_BIND') || undefined },
    agent: {
      driver: oneOf(flags, 'driver', 'PAZ_DRIVER', DRIVERS, 'auto'),
      port: portOption(flags, 'agent-port', 'PAZ_AGENT_PORT', 9010),
      bind: str(flags, 'agent-bind', 'PAZ_AGENT_BIND') ?? '127.0.0.1',
      address: str(flags, 'address', 'PAZ_ADDRESS') ?? str(flags, 'advertise', 'PAZ_ADVERTISE') ?? '127.0.0.1',
      labels: labelsOf(flags),
      cgroupParent: str(flags, 'cgroup-parent', 'PAZ_CGROUP_PARENT'),
      unitUser: str(flags, 'unit-user', 'PAZ_UNIT_USER') ?? 'nobody',
      resyncSeconds: secondsOption(flags, 'resync-seconds', 'PAZ_RESYNC_SECONDS'),
      imageKeep: imageKeepOption(flags),
      imageGcSeconds: secondsOption(flags, 'image-gc-seconds', 'PAZ_IMAGE_GC_SECONDS'),
      router:
        flags['no-router'] || process.env.PAZ_ROUTER === 'off'
          ? undefined
          : { bind: str(flags, 'router-bind', 'PAZ_ROUTER_BIND') ?? '0.0.0.0', port: portOption(flags, 'router-port', 'PAZ_ROUTER_PORT', 80), tls: routerTlsOf(flags), threads: routerThreadsOption(flags) },
    },
  };
}

/** The store a CLI command reads directly (`paz kv`): --store, PAZ_STORE, or the data dir's SQLite file. */
export function storeUrlOf(flags: Flags): string {
  return roleConfig(flags).storeUrl;
}

/** The etcd TLS files: --store-ca / PAZ_STORE_CA, --store-cert / PAZ_STORE_CERT, --store-key / PAZ_STORE_KEY. */
export function storeTlsOf(flags: Flags): StoreTlsFiles {
  return { ca: str(flags, 'store-ca', 'PAZ_STORE_CA'), cert: str(flags, 'store-cert', 'PAZ_STORE_CERT'), key: str(flags, 'store-key', 'PAZ_STORE_KEY') };
}
