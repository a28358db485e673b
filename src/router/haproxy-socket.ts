/**
 * One command over one HAProxy CLI connection (the runtime API's stats socket or the master CLI):
 * connect to the unix socket, write the command, read until HAProxy closes the connection.
 * Non-interactive mode answers exactly one command, so there is no framing to parse.
 */
import { createConnection } from 'node:net';

export const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;

/** The socket could not be reached or did not answer in time (HAProxy down, starting or reloading). */
export class HaproxyUnavailableError extends Error {
  readonly code = 'ROUTER_HAPROXY_UNAVAILABLE';
  constructor(
    readonly socketPath: string,
    readonly command: string,
    cause: unknown,
  ) {
    super(`HAProxy socket ${socketPath} did not answer "${command}": ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'HaproxyUnavailableError';
  }
}

export function sendSocketCommand(socketPath: string, command: string, timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS): Promise<string> {
  if (/[\r\n]/.test(command)) {
    // A newline would smuggle a second command into the same connection.
    return Promise.reject(new Error(`HAProxy command must be one line: ${JSON.stringify(command)}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = createConnection({ path: socketPath });
    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(new HaproxyUnavailableError(socketPath, command, error));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    // Half-close after the command: the master CLI waits for more input until it sees the end of it.
    socket.on('connect', () => socket.end(`${command}\n`));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    socket.on('error', (error) => finish(error));
  });
}
