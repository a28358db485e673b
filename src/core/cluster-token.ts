/**
 * The cluster token: a shared secret that every server and agent of one cluster holds and a stranger on
 * the network lacks. The agent API asks for it (`Authorization: Bearer <token>`); the orchestrator sends
 * it when it proxies a unit's logs or a host's stats. Pure parts only: making, checking the form of, and
 * comparing tokens; where a token comes from is roles/cluster-token.ts.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** shorter than this is guessable; 32 random bytes in base64url are 43 characters */
export const MIN_CLUSTER_TOKEN_LENGTH = 16;
export const MAX_CLUSTER_TOKEN_LENGTH = 512;

export class ClusterTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterTokenError';
  }
}

/**
 * 32 random bytes, base64url: safe in a header, a file and an environment variable. Never starting with
 * "-": one in 64 did, and `paz agent --cluster-token -x…` reads such a token as an option.
 */
export function newClusterToken(): string {
  for (;;) {
    const token = randomBytes(32).toString('base64url');
    if (!token.startsWith('-')) return token;
  }
}

/** A token as given (flag, environment, file): surrounding white space dropped, its form checked. */
export function parseClusterToken(raw: string): string {
  const token = raw.trim();
  if (token.length < MIN_CLUSTER_TOKEN_LENGTH) {
    throw new ClusterTokenError(`a cluster token has at least ${MIN_CLUSTER_TOKEN_LENGTH} characters, got ${token.length}`);
  }
  if (token.length > MAX_CLUSTER_TOKEN_LENGTH) {
    throw new ClusterTokenError(`a cluster token has at most ${MAX_CLUSTER_TOKEN_LENGTH} characters, got ${token.length}`);
  }
  // it travels in an HTTP header: visible ASCII only, no spaces
  if (!/^[\x21-\x7e]+$/.test(token)) throw new ClusterTokenError('a cluster token holds visible ASCII characters only (no spaces or control characters)');
  return token;
}

/** The token of an `Authorization: Bearer <token>` header, or undefined when there is none. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match ? match[1] : undefined;
}

/**
 * Whether `presented` is the cluster token, in time that does not depend on where they differ. Both are
 * hashed first, so their lengths are equal and the comparison leaks not even the token's length.
 */
export function isClusterToken(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256').update(presented, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The header the orchestrator sends to an agent. */
export function clusterAuthHeader(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}
