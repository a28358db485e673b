/**
 * Registry credentials, the pure half: what a login is, how it is checked, how Docker and a registry are
 * given it (X-Registry-Auth, Basic), and what Paz says when a registry refuses a pull. Stored sealed per
 * registry host by src/state/registry-logins.ts; used by the docker driver's pulls and by digest resolution.
 */
import { canonicalRegistryHost, registryHostProblem } from './image-ref.js';

/** A registry login: a user name and a password or access token (GHCR, Docker Hub personal access tokens). */
export interface RegistryLogin {
  username: string;
  password: string;
}

/** The sealing context of a host's password: a sealed value copied to another host's record fails to open. */
export function loginContext(host: string): string {
  return `registry:${host}`;
}

/** The host a login is stored under, or a message saying what is wrong with `host`. */
export function loginHost(host: string): { host: string } | { problem: string } {
  const h = canonicalRegistryHost(host);
  const why = registryHostProblem(h);
  if (why) return { problem: `registry host ${JSON.stringify(host.slice(0, 100))} ${why}` };
  return { host: h };
}

export const MAX_USERNAME_LENGTH = 256;
/** long enough for a GCR JSON key or an ECR token used as a password */
export const MAX_PASSWORD_LENGTH = 16_384;

/** What is wrong with a login, or undefined. */
export function loginProblem(login: { username?: unknown; password?: unknown }): string | undefined {
  const { username, password } = login;
  if (typeof username !== 'string' || username.length === 0) return 'username is required';
  if (username.length > MAX_USERNAME_LENGTH) return `username is longer than ${MAX_USERNAME_LENGTH} characters`;
  // a colon would end the user name inside Basic auth (RFC 7617)
  if (/[\p{Cc}:]/u.test(username)) return 'username may not contain ":" or control characters';
  if (typeof password !== 'string' || password.length === 0) return 'password (or access token) is required';
  if (password.length > MAX_PASSWORD_LENGTH) return `password is longer than ${MAX_PASSWORD_LENGTH} characters`;
  if (password.includes('\u0000')) return 'password may not contain NUL characters';
  return undefined;
}

/** The address Docker names a registry by in its auth configs (Docker Hub's is its historical v1 index URL). */
export function dockerServerAddress(host: string): string {
  return host === 'docker.io' ? 'https://index.docker.io/v1/' : host;
}

/**
 * The X-Registry-Auth header value of a pull: JSON of the auth config in URL-safe base64 with padding, as the
 * Docker CLI sends it (dockerd 20.10 decodes it with Go's base64.URLEncoding, which needs the padding).
 */
export function xRegistryAuth(login: RegistryLogin, host: string): string {
  const json = JSON.stringify({ username: login.username, password: login.password, serveraddress: dockerServerAddress(host) });
  return Buffer.from(json, 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** `Authorization: Basic …` for a registry (and for a token endpoint asked for a token with credentials). */
export function basicAuthorization(login: RegistryLogin): string {
  return `Basic ${Buffer.from(`${login.username}:${login.password}`, 'utf8').toString('base64')}`;
}

/** The reason a unit or rollout gives when `host` refused a pull or a digest lookup. */
export function refusalReason(host: string, status: number, username: string | undefined): string {
  return username === undefined
    ? `registry ${host} refused the pull (${status}): set credentials with paz registry login ${host}`
    : `registry ${host} refused the pull (${status}) with the credentials of ${username}: check them and set them again with paz registry login ${host}`;
}

/**
 * Docker's words for a registry that wants (other) credentials, inside a pull's error: 401 without or with
 * wrong credentials, 403 when the user may not pull. Docker Hub's "pull access denied … may require 'docker
 * login'" also means a missing repository, so it is not one of them (see the docker driver).
 */
const UNAUTHORIZED = [/no basic auth credentials/i, /unauthorized/i, /authentication required/i, /incorrect username or password/i];
const FORBIDDEN = [/denied: requested access to the resource is denied/i, /^denied:/i, /\bforbidden\b/i];

/** The HTTP status a pull error's text stands for when it is a refusal (401 or 403), else undefined. */
export function refusalStatus(text: string): 401 | 403 | undefined {
  if (/pull access denied/i.test(text)) return undefined;
  if (UNAUTHORIZED.some((re) => re.test(text))) return 401;
  if (FORBIDDEN.some((re) => re.test(text))) return 403;
  return undefined;
}
