/**
 * Pure decisions about how a unit's process is launched: its name check, its environment, the shell
 * wrapper that enters its cgroups before the program runs, the cgroup limit values, and the exit code
 * reported for a process that ended by a signal. No I/O here.
 */
import { constants } from 'node:os';
import type { UnitSpec } from '../driver.js';
import { withoutDigest } from '../../../core/image-ref.js';

/** A unit name becomes a file name and a cgroup directory, so only a safe alphabet is accepted. */
const UNIT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;

export function isValidUnitName(unit: string): boolean {
  return UNIT_NAME.test(unit) && !unit.includes('..');
}

/** What the process is started as: `command[0]` with the rest as arguments, else the image as the program. */
export function programAndArgs(spec: Pick<UnitSpec, 'image' | 'command'>): { program: string; args: string[] } {
  if (spec.command && spec.command.length > 0) {
    return { program: spec.command[0], args: spec.command.slice(1) };
  }
  // programs have no digest: one pinned at deploy time (the image looked like a registry name) is dropped
  return { program: withoutDigest(spec.image), args: [] };
}

/** Variables a unit inherits from the agent: enough to find programs and keep locale/time zone; nothing else. */
export const INHERITED_ENV_KEYS = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'] as const;

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The variables of `from` that a unit inherits (PATH always set). */
export function inheritedEnv(from: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of INHERITED_ENV_KEYS) {
    const v = from[key];
    if (v !== undefined) env[key] = v;
  }
  if (!env.PATH) env.PATH = DEFAULT_PATH;
  return env;
}

export interface BoundPort {
  container: number;
  host: number;
  protocol: 'tcp' | 'udp';
}

/**
 * The environment of a unit's process, in increasing precedence: what it inherits from the agent, the
 * spec's env, the port variables, the Paz identity variables. The process listens on the HOST port itself
 * (it shares the host's network), so `PORT` (first mapping) and `PORT_<container>` always win over the
 * spec: a spec saying PORT=3000 must not make the process bind a port the driver did not give it.
 */
export function buildUnitEnv(
  spec: Pick<UnitSpec, 'unit' | 'service' | 'version' | 'instance' | 'env'>,
  ports: BoundPort[],
  inherited: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = { ...inherited, ...spec.env };
  if (ports.length > 0) env.PORT = String(ports[0].host);
  for (const p of ports) env[`PORT_${p.container}`] = String(p.host);
  env.PAZ_SERVICE = spec.service;
  env.PAZ_VERSION = String(spec.version);
  env.PAZ_INSTANCE = String(spec.instance);
  env.PAZ_UNIT = spec.unit;
  return env;
}

/** Quotes a string for a POSIX shell (single quotes; an embedded quote becomes '\''). */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Exit status of the wrapper when it cannot enter a cgroup (125: like `docker run` failing before the command). */
export const CGROUP_ENTER_FAILED_EXIT = 125;

/**
 * The `sh -c` script that moves itself into the unit's cgroups and then execs the program (passed as "$@"),
 * so that no instruction of the program runs outside its limits. exec keeps the pid, so the pid the driver
 * spawned is the program's pid.
 */
export function cgroupEnterScript(cgroupProcsFiles: string[]): string {
  const enter = cgroupProcsFiles.map((f) => `echo $$ > ${shellQuote(f)}`).join(' && ');
  const fail = `{ echo "paz: cannot enter cgroup" >&2; exit ${CGROUP_ENTER_FAILED_EXIT}; }`;
  return cgroupProcsFiles.length > 0 ? `${enter} || ${fail}; exec "$@"` : 'exec "$@"';
}

/** Exit code as a shell reports it: the status, or 128 + signal number for a process killed by a signal. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number | undefined {
  if (code !== null) return code;
  if (signal !== null) {
    const n = constants.signals[signal];
    return n === undefined ? undefined : 128 + n;
  }
  return undefined;
}

export const CFS_PERIOD_US = 100_000;

/** Values for the v1 limit files; undefined means "leave at the kernel default (unlimited)". */
export interface CgroupLimitValues {
  memoryLimitBytes?: number;
  cfsPeriodUs?: number;
  cfsQuotaUs?: number;
  pidsMax?: number;
}

/** Maps a spec's limits to cgroup v1 values: memory in bytes, CPU as a CFS quota per 100 ms period. */
export function cgroupLimitValues(spec: Pick<UnitSpec, 'memoryMb' | 'cpus'>, pidsMax?: number): CgroupLimitValues {
  const v: CgroupLimitValues = {};
  if (spec.memoryMb !== undefined && spec.memoryMb > 0) v.memoryLimitBytes = Math.round(spec.memoryMb * 1024 * 1024);
  if (spec.cpus !== undefined && spec.cpus > 0) {
    v.cfsPeriodUs = CFS_PERIOD_US;
    // the kernel refuses quotas below 1 ms
    v.cfsQuotaUs = Math.max(1000, Math.round(spec.cpus * CFS_PERIOD_US));
  }
  if (pidsMax !== undefined && pidsMax > 0) v.pidsMax = pidsMax;
  return v;
}
