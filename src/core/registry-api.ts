/**
 * The pure half of asking a registry which digest a tag points to (Docker Registry HTTP API v2): where the
 * manifest lives, what to accept, and how to read a Bearer token challenge. The requests are made in
 * src/state/digest-resolver.ts.
 */
import { parseImageRef } from './image-ref.js';

/**
 * Every manifest kind a tag can point to. A multi-platform image's tag points to a list/index; its digest is
 * what `docker pull` records as the RepoDigest, so the list's own digest is the one to pin.
 */
export const MANIFEST_ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
].join(', ');

export interface ManifestLocation {
  /** `https://registry-1.docker.io` or `http://127.0.0.1:5000` */
  baseUrl: string;
  /** repository path inside the registry, e.g. `library/busybox` */
  repository: string;
  /** tag (or digest) to look up */
  reference: string;
  /** `<baseUrl>/v2/<repository>/manifests/<reference>` */
  url: string;
}

/**
 * Docker talks plain HTTP to registries on loopback (127.0.0.0/8, localhost, ::1) without being told to, and
 * HTTPS to every other registry unless configured as insecure: the resolver does the same.
 */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(1, registry.indexOf(']')) : registry.split(':')[0];
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Where `ref`'s manifest lives; `insecure` lists further registries spoken to over plain HTTP. */
export function manifestLocation(ref: string, insecure: readonly string[] = []): ManifestLocation {
  const r = parseImageRef(ref);
  const host = r.registry === 'docker.io' ? 'registry-1.docker.io' : r.registry;
  const scheme = isLoopbackRegistry(r.registry) || insecure.includes(r.registry) ? 'http' : 'https';
  const baseUrl = `${scheme}://${host}`;
  const reference = r.digest ?? r.tag ?? 'latest';
  return { baseUrl, repository: r.path, reference, url: `${baseUrl}/v2/${r.path}/manifests/${reference}` };
}

export interface BearerChallenge {
  realm: string;
  service?: string;
  scope?: string;
}

/**
 * The scheme a registry's 401 asks for: `basic` (send the login with every request, as htpasswd registries
 * want) or `bearer` (get a token from the realm first; see parseBearerChallenge); undefined for anything else.
 */
export function challengeScheme(header: string | null | undefined): 'basic' | 'bearer' | undefined {
  const m = /^\s*(Basic|Bearer)(?:\s|$)/i.exec(header ?? '');
  return m ? (m[1].toLowerCase() as 'basic' | 'bearer') : undefined;
}

/** Reads `WWW-Authenticate: Bearer realm="…",service="…",scope="…"`; undefined for other schemes. */
export function parseBearerChallenge(header: string | null | undefined): BearerChallenge | undefined {
  if (!header) return undefined;
  const m = /^\s*Bearer\s+(.*)$/i.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let p = re.exec(m[1]); p; p = re.exec(m[1])) params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
  if (!params.realm) return undefined;
  const out: BearerChallenge = { realm: params.realm };
  if (params.service) out.service = params.service;
  if (params.scope) out.scope = params.scope;
  return out;
}

/**
 * The token request for pulling `repository` (scope defaults to `repository:<path>:pull`); anonymous, or sent
 * with the registry's login as Basic auth when Paz has one.
 */
export function tokenUrl(challenge: BearerChallenge, repository: string): string {
  const u = new URL(challenge.realm);
  if (challenge.service) u.searchParams.set('service', challenge.service);
  u.searchParams.set('scope', challenge.scope ?? `repository:${repository}:pull`);
  return u.toString();
}

/** The token in a token endpoint's answer (`token`, or OAuth2's `access_token`). */
export function tokenFromAnswer(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const t = typeof b.token === 'string' ? b.token : typeof b.access_token === 'string' ? b.access_token : undefined;
  return t && t.length > 0 ? t : undefined;
}
