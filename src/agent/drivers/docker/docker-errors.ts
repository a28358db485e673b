/**
 * Maps what dockerd reports (through engine-client.ts, in dockerode's error shape) into DriverError codes. Pure: works on the error objects and
 * message texts only. Docker reports most failures as HTTP status + message text (for pulls, often a
 * message inside a 200 stream), so the classification is by status first, then by known message parts.
 */
import { DriverError } from '../driver.js';
import { refusalReason, refusalStatus } from '../../../core/registry-auth.js';

/** the parts of a dockerode / Node error this module looks at */
interface ErrorLike {
  message?: unknown;
  statusCode?: unknown;
  code?: unknown;
  json?: unknown;
}

/** the daemon's own message when there is one (dockerode prefixes "(HTTP code N) reason - ") */
export function errorText(err: unknown): string {
  if (typeof err === 'string') return err;
  if (err && typeof err === 'object') {
    const e = err as ErrorLike;
    const json = e.json as { message?: unknown } | null | undefined;
    if (json && typeof json === 'object' && typeof json.message === 'string') return json.message;
    if (typeof e.message === 'string') return e.message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
  }
  return String(err);
}

export function httpStatus(err: unknown): number | undefined {
  const status = err && typeof err === 'object' ? (err as ErrorLike).statusCode : undefined;
  return typeof status === 'number' ? status : undefined;
}

export const isNotFound = (err: unknown): boolean => httpStatus(err) === 404;
/** 304: "container already started" / "already stopped" */
export const isNotModified = (err: unknown): boolean => httpStatus(err) === 304;
/** 409: e.g. "removal of container X is already in progress" */
export const isConflict = (err: unknown): boolean => httpStatus(err) === 409;

const SOCKET_ERROR_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/** the daemon itself could not be reached (no socket, refused, permission), as opposed to an error it returned */
export function isDaemonUnreachable(err: unknown): boolean {
  if (!err || typeof err !== 'object' || httpStatus(err) !== undefined) return false;
  const code = (err as ErrorLike).code;
  return typeof code === 'string' && SOCKET_ERROR_CODES.has(code);
}

/** our own per-request deadline fired (AbortSignal.timeout) */
export function isTimeout(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { name?: unknown; code?: unknown; cause?: unknown };
  return e.name === 'TimeoutError' || e.name === 'AbortError' || e.code === 'ABORT_ERR' || (e.cause !== undefined && isTimeout(e.cause));
}

function daemonTooSlow(err: unknown, what: string): DriverError {
  return new DriverError('DAEMON_UNREACHABLE', `${what}: the Docker daemon did not answer in time`, err);
}

const IMAGE_MISSING = [
  /manifest unknown/i,
  /manifest for .* not found/i,
  /name unknown/i,
  /repository .* not found/i,
  /pull access denied/i,
  /repository does not exist/i,
  /no such image/i,
  /not found: manifest/i,
];

const REGISTRY_DOWN = [
  /connection refused/i,
  /no such host/i,
  /i\/o timeout/i,
  /tls handshake timeout/i,
  /context deadline exceeded/i,
  /client\.timeout exceeded/i,
  /network is unreachable/i,
  /no route to host/i,
  /connection reset by peer/i,
  /server misbehaving/i,
  /server gave http response to https client/i,
  /dial tcp/i,
  /eof$/i,
];

/**
 * Docker repeats the registry's error code after its own words ("manifest for X not found: manifest unknown:
 * manifest unknown"): a part said twice in a row is said once.
 */
export function withoutRepeats(text: string): string {
  return text.split(': ').filter((part, i, parts) => i === 0 || part !== parts[i - 1]).join(': ');
}

/**
 * A failed pull of `image` from `registry` -> IMAGE_NOT_FOUND, REGISTRY_UNREACHABLE (message names the
 * registry), REGISTRY_AUTH (refused: the message says how to set credentials), DAEMON_UNREACHABLE or
 * PULL_FAILED. `username`: whose login the pull was sent with, if any.
 */
export function classifyPullError(err: unknown, image: string, registry: string, username?: string): DriverError {
  if (err instanceof DriverError) return err;
  if (isDaemonUnreachable(err)) return daemonUnreachable(err);
  const text = errorText(err);
  if (REGISTRY_DOWN.some((re) => re.test(text))) {
    const hint = /http response to https client/i.test(text)
      ? ` (the registry speaks plain HTTP: add it to dockerd's --insecure-registry)` : '';
    return new DriverError('REGISTRY_UNREACHABLE', `registry ${registry} unreachable while pulling ${image}: ${text}${hint}`, err);
  }
  const refused = refusalStatus(text);
  if (refused !== undefined) return new DriverError('REGISTRY_AUTH', `${refusalReason(registry, refused, username)} (${image}: ${text})`, err);
  if (isNotFound(err) || IMAGE_MISSING.some((re) => re.test(text))) {
    // Docker Hub answers a private repository pulled without credentials as a missing one
    const hint = username === undefined && /may require 'docker login'/i.test(text) ? ` (if it is private: paz registry login ${registry})` : '';
    return new DriverError('IMAGE_NOT_FOUND', `image ${image} not found in registry ${registry}: ${withoutRepeats(text)}${hint}`, err);
  }
  return new DriverError('PULL_FAILED', `pulling ${image} from ${registry} failed: ${text}`, err);
}

const PORT_TAKEN = [/port is already allocated/i, /address already in use/i];

/** a failed create/start of `unit` -> PORT_IN_USE, IMAGE_NOT_FOUND, DAEMON_UNREACHABLE or START_FAILED */
export function classifyStartError(err: unknown, unit: string, image: string): DriverError {
  if (err instanceof DriverError) return err;
  if (isDaemonUnreachable(err)) return daemonUnreachable(err);
  if (isTimeout(err)) return daemonTooSlow(err, `cannot start ${unit}`);
  const text = errorText(err);
  if (PORT_TAKEN.some((re) => re.test(text))) {
    return new DriverError('PORT_IN_USE', `cannot start ${unit}: a host port it needs is in use: ${text}`, err);
  }
  if (/no such image/i.test(text)) {
    return new DriverError('IMAGE_NOT_FOUND', `cannot start ${unit}: image ${image} is not on this host (pull it first)`, err);
  }
  return new DriverError('START_FAILED', `cannot start ${unit}: ${text}`, err);
}

/**
 * Any other failed operation (`what` says which, e.g. "stop demo-api-1-1"): DAEMON_UNREACHABLE and
 * NOT_FOUND become DriverErrors; anything else has no DriverError code and stays a plain Error with
 * the daemon's message and the original as `cause`.
 */
export function classifyError(err: unknown, what: string): Error {
  if (err instanceof DriverError) return err;
  if (isDaemonUnreachable(err)) return daemonUnreachable(err);
  if (isTimeout(err)) return daemonTooSlow(err, what);
  if (isNotFound(err)) return new DriverError('NOT_FOUND', `${what}: ${errorText(err)}`, err);
  return new Error(`${what}: ${errorText(err)}`, { cause: err });
}

function daemonUnreachable(err: unknown): DriverError {
  const e = err as ErrorLike & { address?: unknown };
  const where = typeof e.address === 'string' ? ` at ${e.address}` : '';
  return new DriverError('DAEMON_UNREACHABLE', `Docker daemon unreachable${where}: ${errorText(err)}`, err);
}
