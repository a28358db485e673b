/** Whether an address only this host can reach: 127.0.0.0/8, ::1 or localhost. Pure. */
import { isIPv4 } from 'node:net';

export function isLoopback(address: string): boolean {
  const a = address.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (a === 'localhost' || a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  if (isIPv4(a)) return a.startsWith('127.');
  // IPv4-mapped IPv6 (::ffff:127.0.0.1)
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return mapped !== null && isIPv4(mapped[1]) && mapped[1].startsWith('127.');
}

/**
 * Why Paz may not run without authentication on these listeners, or undefined when it may: --no-auth is
 * for local development only, so every address it listens on must be loopback.
 */
export function authOffProblem(binds: Array<{ flag: string; address: string }>): string | undefined {
  const open = binds.filter((b) => !isLoopback(b.address));
  if (open.length === 0) return undefined;
  const where = open.map((b) => `${b.flag} ${b.address}`).join(', ');
  return (
    `refusing to listen on ${where} without authentication: --no-auth (PAZ_AUTH=off) is allowed only on loopback ` +
    '(127.0.0.0/8, ::1, localhost), since anyone who can reach an open Paz can run anything on its hosts. ' +
    'Either drop --no-auth (API tokens: the admin token is written to DATA_DIR/admin-token) or bind to 127.0.0.1'
  );
}
