/**
 * Options shared by the commands that start roles. Each is a flag and an environment variable
 * (`--data-dir` / PAZ_DATA_DIR, …); flags win.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

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
  'no-router': { type: 'boolean' },
  domain: { type: 'string' },
  'host-loss-grace': { type: 'string' },
  'cgroup-parent': { type: 'string' },
  'volume-root': { type: 'string' },
  'unit-user': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export type Flags = Record<string, string | boolean | string[] | undefined>;

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, allowPositionals = false) {
  return parseArgs({ args, options, allowPositionals: allowPositionals as true, strict: true });
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
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} (${env}) must be a port number from 0 to 65535, got "${raw}"`);
  return n;
}

function secondsOption(flags: Flags, name: string, env: string): number | undefined {
  const raw = str(flags, name, env);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 1 || n > 86400) throw new Error(`--${name} (${env}) must be a number of seconds from 1 to 86400, got "${raw}"`);
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
  /** host volumes must lie under this directory (control plane: written to the store; agent: checked again) */
  volumeRoot: string;
  agent: { driver: string; port: number; address: string; labels: Record<string, string>; cgroupParent?: string; unitUser: string; router?: { bind: string; port: number } };
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

export function roleConfig(flags: Flags): RoleConfig {
  const dataDir = resolve(str(flags, 'data-dir', 'PAZ_DATA_DIR') ?? join(homedir(), '.paz'));
  return {
    dataDir,
    storeUrl: str(flags, 'store', 'PAZ_STORE') ?? `sqlite:${join(dataDir, 'paz.db')}`,
    bind: str(flags, 'bind', 'PAZ_BIND') ?? '0.0.0.0',
    advertise: str(flags, 'advertise', 'PAZ_ADVERTISE') ?? '127.0.0.1',
    ports: {
      orchestrator: portOption(flags, 'orchestrator-port', 'PAZ_ORCHESTRATOR_PORT', 9000),
      directory: portOption(flags, 'directory-port', 'PAZ_SERVICE_DIRECTORY_PORT', 9001),
      scheduler: portOption(flags, 'scheduler-port', 'PAZ_SCHEDULER_PORT', 9002),
    },
    logLevel: str(flags, 'log-level', 'PAZ_LOG_LEVEL') ?? 'info',
    domain: str(flags, 'domain', 'PAZ_DOMAIN'),
    hostLossGraceSeconds: secondsOption(flags, 'host-loss-grace', 'PAZ_HOST_LOSS_GRACE'),
    volumeRoot: resolve(str(flags, 'volume-root', 'PAZ_VOLUME_ROOT') ?? join(dataDir, 'volumes')),
    agent: {
      driver: str(flags, 'driver', 'PAZ_DRIVER') ?? 'auto',
      port: portOption(flags, 'agent-port', 'PAZ_AGENT_PORT', 9010),
      address: str(flags, 'address', 'PAZ_ADDRESS') ?? str(flags, 'advertise', 'PAZ_ADVERTISE') ?? '127.0.0.1',
      labels: labelsOf(flags),
      cgroupParent: str(flags, 'cgroup-parent', 'PAZ_CGROUP_PARENT'),
      unitUser: str(flags, 'unit-user', 'PAZ_UNIT_USER') ?? 'nobody',
      router:
        flags['no-router'] || process.env.PAZ_ROUTER === 'off'
          ? undefined
          : { bind: str(flags, 'router-bind', 'PAZ_ROUTER_BIND') ?? '0.0.0.0', port: portOption(flags, 'router-port', 'PAZ_ROUTER_PORT', 80) },
    },
  };
}

/** The store a CLI command reads directly (`paz kv`): --store, PAZ_STORE, or the data dir's SQLite file. */
export function storeUrlOf(flags: Flags): string {
  return roleConfig(flags).storeUrl;
}
