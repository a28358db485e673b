/**
 * `paz exec`: a command run inside one running instance of a service (a migration, a console one-liner),
 * as `kubectl exec`, `nomad alloc exec` and `kamal app exec --reuse` do. Pure: what a command may be, and the
 * frames its output travels in from the agent through the orchestrator to the client (newline-delimited JSON,
 * one frame per line).
 */

import type { UnitView } from './unit-view.js';
import { PROCESS_UP_STATES, type UnitState } from './records.js';

/** arguments of one command at most, and characters per argument (a shell script passed to `sh -c` included) */
export const EXEC_MAX_ARGS = 256;
export const EXEC_MAX_ARG_CHARS = 65_536;
/**
 * How long a command may run before it is killed (seconds), at most and by default: a day, as a Heroku one-off
 * dyno. A migration must never be killed halfway by a default nobody chose; the timeout is a net for a command
 * forgotten in a terminal, and `--timeout` sets a shorter one. (Its client going away kills it at once.)
 */
export const EXEC_MAX_TIMEOUT_SECONDS = 86_400;
export const EXEC_DEFAULT_TIMEOUT_SECONDS = EXEC_MAX_TIMEOUT_SECONDS;

/** One line of the command's output, its end, or why it could not run. The last frame is always `exit` or `error`. */
export type ExecFrame =
  | { type: 'output'; stream: 'stdout' | 'stderr'; line: string }
  | { type: 'exit'; exitCode: number; timedOut?: boolean; unitStopped?: boolean }
  | { type: 'error'; message: string };

/** What an instance's runtime says of it, as far as telling one run of it from the next goes. */
export interface InstanceRun {
  id: string;
  state: string;
  pid?: number;
  startedAt?: string;
}

/**
 * Whether the instance a command ran in stopped meanwhile: it is gone, not running, or running again as a
 * new run (restarted by its agent after a crash, which a state of "running" alone would hide). The command
 * then ended with it (`unitStopped` in the exit frame), not on its own.
 */
export function instanceStoppedMeanwhile(before: InstanceRun, after: InstanceRun | undefined): boolean {
  return after === undefined || after.state !== 'running' || after.id !== before.id || after.pid !== before.pid || after.startedAt !== before.startedAt;
}

export const EXEC_CONTENT_TYPE = 'application/x-ndjson';

/** a line of output longer than this comes in pieces: output without line ends is never held whole */
export const EXEC_MAX_LINE_CHARS = 65_536;

/** What is wrong with a command, in words for whoever sent it; undefined when it can run. */
export function execCommandProblem(command: unknown): string | undefined {
  if (!Array.isArray(command)) return 'command must be a list of arguments, the program first: ["sh", "-c", "echo hi"]';
  if (command.length === 0) return 'command is empty: give the program to run and its arguments, e.g. ["rake", "db:migrate"]';
  if (command.length > EXEC_MAX_ARGS) return `command has ${command.length} arguments; at most ${EXEC_MAX_ARGS}`;
  for (const [i, arg] of command.entries()) {
    if (typeof arg !== 'string') return `command[${i}] must be a string`;
    if (arg.length > EXEC_MAX_ARG_CHARS) return `command[${i}] is longer than ${EXEC_MAX_ARG_CHARS} characters`;
    // execve takes NUL-terminated strings: one inside an argument would silently cut it
    if (arg.includes('\0')) return `command[${i}] contains a NUL character, which no program can receive`;
  }
  if (command[0] === '') return 'command[0], the program, is empty';
  return undefined;
}

/** What is wrong with a timeout in seconds; undefined when it is a good one (or absent: the default). */
export function execTimeoutProblem(seconds: unknown): string | undefined {
  if (seconds === undefined) return undefined;
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1 || seconds > EXEC_MAX_TIMEOUT_SECONDS) {
    return `timeoutSeconds must be a whole number of seconds from 1 to ${EXEC_MAX_TIMEOUT_SECONDS}`;
  }
  return undefined;
}

/**
 * What a command line shows of secrets typed into it, masked: the password of a URL (`postgres://app:…@db`), and
 * the value of an assignment or option whose name says it is one (`DB_PASSWORD=…`, `--token=…`, `api_key=…`). The
 * journal that records commands is readable by read-only tokens; secrets belong in the service's env, not here.
 */
export function maskSecrets(arg: string): string {
  return maskAssignments(maskUrlPasswords(arg));
}

// Both scans are linear in the argument's length (arguments reach 64 KiB): no regular expression with nested or
// adjacent unbounded quantifiers runs over the argument itself.

const SECRET_NAME = /pass|secret|token|api[_-]?key|credential/i;
const NAME_CHAR = /[\w-]/;
const VALUE_END = /[\s'"&;]/;

/** `NAME=value` and `--name=value` whose name says secret: the value masked */
function maskAssignments(arg: string): string {
  let out = '';
  let done = 0;
  for (let eq = arg.indexOf('='); eq !== -1; eq = arg.indexOf('=', eq + 1)) {
    let start = eq;
    while (start > done && NAME_CHAR.test(arg[start - 1])) start--;
    if (!SECRET_NAME.test(arg.slice(start, eq))) continue;
    let end = eq + 1;
    while (end < arg.length && !VALUE_END.test(arg[end])) end++;
    if (end === eq + 1) continue;
    out += `${arg.slice(done, eq + 1)}***`;
    done = end;
    eq = end - 1;
  }
  return out + arg.slice(done);
}

/** `scheme://user:password@host`: the password masked */
function maskUrlPasswords(arg: string): string {
  let out = '';
  let done = 0;
  for (let p = arg.indexOf('://'); p !== -1; p = arg.indexOf('://', p + 3)) {
    const from = p + 3;
    let end = from;
    while (end < arg.length && !/[/\s?#]/.test(arg[end])) end++;
    // searched within this authority only (authorities never overlap: each ends before the next '://')
    const authority = arg.slice(from, end);
    const at = authority.lastIndexOf('@');
    const colon = at === -1 ? -1 : authority.slice(0, at).indexOf(':');
    if (colon === -1) continue;
    out += `${arg.slice(done, from + colon + 1)}***`;
    done = from + at;
  }
  return out + arg.slice(done);
}

/**
 * The command as a shell would show it, for the journal and messages: arguments with spaces or quotes are quoted,
 * secrets typed into it masked (maskSecrets).
 */
export function commandText(command: readonly string[]): string {
  const text = command.map(maskSecrets).map((a) => (/^[A-Za-z0-9_@%+=:,./*-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}

/** The exit code a shell reports for a process ended by a signal (128 + its number), as Docker and sh do. */
export function exitCodeOfSignal(signal: NodeJS.Signals | null, signals: Record<string, number>): number {
  return signal ? 128 + (signals[signal] ?? 9) : 1;
}

/** A command can run in the unit: its process runs (starting, running, healthy or not: an unhealthy one is worth a look). */
export function execRuns(unit: Pick<UnitView, 'state' | 'host'>): boolean {
  return unit.host !== null && PROCESS_UP_STATES.has(unit.state as UnitState);
}

/**
 * The unit a command runs in when none is named: a running one that is not being retired, healthy ones first,
 * then the newest version's, then the lowest instance number (the same unit for the same cluster). A string
 * says why none can be.
 */
export function execTarget(service: string, units: readonly UnitView[]): UnitView | string {
  const running = units.filter((u) => execRuns(u) && u.drainingSince === undefined);
  if (running.length === 0) {
    return units.length === 0
      ? `${service} has no instances: deploy it (paz deploy ${service}) or scale it up first`
      : `no instance of ${service} is running (${[...new Set(units.map((u) => u.state))].join(', ')}): see paz units ${service}`;
  }
  return [...running].sort((a, b) => Number(b.healthy) - Number(a.healthy) || b.version - a.version || a.instance - b.instance)[0];
}
