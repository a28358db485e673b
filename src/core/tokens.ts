/**
 * API tokens (issue 9): their format, their hash, and what each role may do. Pure.
 *
 * A token reads `paz_<id>_<secret>`: `id` (12 hex characters) names the stored record
 * (`/paz/auth/tokens/<id>`), `secret` is 32 random bytes in base64url. Only a SHA-256 hash of the whole
 * token is stored: the secret has 256 bits of entropy, so a slow password hash would add nothing.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const ROLES = ['admin', 'deployer', 'read-only'] as const;
export type Role = (typeof ROLES)[number];

/** The levels of src/http/access.ts that a role gates (public, hook and cluster are checked otherwise). */
export type RoleGatedAccess = 'read' | 'deploy' | 'admin';

/** What a token record holds; `hash` never leaves the store. */
export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  createdAt: number;
  /** the name of the token that made it ("paz" for the first admin token made at start) */
  createdBy: string;
  /** hex SHA-256 of the whole token */
  hash: string;
}

/** What the API shows of a token. */
export type TokenInfo = Omit<TokenRecord, 'hash'>;

/** Who a request's token names. */
export interface Identity {
  name: string;
  role: Role;
}

/** What the HTTP check needs of the token store (state/tokens.ts). */
export interface TokenVerifier {
  verify(token: string): Promise<Identity | undefined>;
}

export const TOKEN_NAME_PATTERN = '^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$';
const TOKEN_RE = /^paz_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

/** Why a token name is not acceptable, or undefined. */
export function tokenNameProblem(name: string): string | undefined {
  if (new RegExp(TOKEN_NAME_PATTERN).test(name)) return undefined;
  return 'must be 1 to 64 characters of a-z, 0-9 and "-", starting and ending with a letter or digit';
}

/** A new token: its id, the text shown once to its owner, and the hash kept in the store. */
export function newToken(): { id: string; token: string; hash: string } {
  const id = randomBytes(6).toString('hex');
  const token = `paz_${id}_${randomBytes(32).toString('base64url')}`;
  return { id, token, hash: hashToken(token) };
}

/** The record id a token names, or undefined when the text is not a Paz token at all. */
export function tokenId(token: string): string | undefined {
  return TOKEN_RE.exec(token)?.[1];
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Whether `token` is the one `record` was made for; constant time in the hash comparison. */
export function tokenMatches(record: Pick<TokenRecord, 'id' | 'hash'>, token: string): boolean {
  if (tokenId(token) !== record.id) return false;
  const a = Buffer.from(hashToken(token), 'hex');
  const b = Buffer.from(record.hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token in an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return m?.[1];
}

/** The roles that may call a route of this access level, weakest first. */
export function rolesAllowed(access: RoleGatedAccess): Role[] {
  switch (access) {
    case 'read':
      return ['read-only', 'deployer', 'admin'];
    case 'deploy':
      return ['deployer', 'admin'];
    case 'admin':
      return ['admin'];
  }
}

export function roleAllows(role: Role, access: RoleGatedAccess): boolean {
  return rolesAllowed(access).includes(role);
}
