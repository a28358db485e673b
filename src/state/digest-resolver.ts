/**
 * Asks an image's registry which digest its tag points to right now (Docker Registry HTTP API v2), so a
 * deploy can pin the version to those bytes. A HEAD of the manifest answers with Docker-Content-Digest. A 401
 * is answered as the registry asks: a Bearer challenge gets a pull token from its realm (anonymous, or with
 * the registry's login as Basic auth: Docker Hub, GHCR) and the HEAD is sent again with it; a Basic challenge
 * (htpasswd registries) gets the login itself. Without a login, or with one the registry refuses, the answer
 * says so (`refused`): the agents' pulls will be refused too. Bounded by a short timeout: a deploy must not
 * hang on a registry, it falls back to recording the digest at first pull (VersionDigests). Never throws.
 */
import { createHash } from 'node:crypto';
import { digestOf, imageRefProblem, isImageDigest, parseImageRef } from '../core/image-ref.js';
import { MANIFEST_ACCEPT, challengeScheme, manifestLocation, parseBearerChallenge, tokenFromAnswer, tokenUrl } from '../core/registry-api.js';
import { basicAuthorization, refusalReason, type RegistryLogin } from '../core/registry-auth.js';

/** `refused`: the registry wants (other) credentials; `why` then says which registry and what to do. */
export type DigestResolution = { digest: string } | { digest?: undefined; why: string; refused?: true };

export interface DigestResolverOptions {
  /** bound on the whole lookup (token + manifest); default 3 s */
  timeoutMs?: number;
  /** registries (host:port) spoken to over plain HTTP besides loopback ones (PAZ_INSECURE_REGISTRIES) */
  insecureRegistries?: string[];
  /** after a registry could not be reached, do not ask it again for this long; default 30 s */
  unreachableForMs?: number;
  now?: () => number;
  /** the login Paz has for a registry host (RegistryLogins.open); none: anonymous lookups only */
  credentials?: (registry: string) => Promise<RegistryLogin | undefined>;
}

export class DigestResolver {
  private readonly unreachableUntil = new Map<string, number>();
  private readonly now: () => number;
  private readonly insecure: string[];

  constructor(private readonly opts: DigestResolverOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.insecure = opts.insecureRegistries ?? (process.env.PAZ_INSECURE_REGISTRIES ?? '').split(',').map((r) => r.trim()).filter(Boolean);
  }

  async resolve(image: string): Promise<DigestResolution> {
    const already = digestOf(image);
    if (already) return { digest: already };
    // a process-driver "image" (a program path) or anything else a registry cannot hold
    if (imageRefProblem(image) !== undefined) return { why: 'not a registry image reference' };
    const registry = parseImageRef(image).registry;
    const until = this.unreachableUntil.get(registry);
    if (until !== undefined && until > this.now()) return { why: `registry ${registry} was unreachable moments ago` };
    const signal = AbortSignal.timeout(this.opts.timeoutMs ?? 3000);
    try {
      const result = await this.lookup(image, signal);
      this.unreachableUntil.delete(registry);
      return result;
    } catch (err) {
      this.unreachableUntil.set(registry, this.now() + (this.opts.unreachableForMs ?? 30_000));
      return { why: `registry ${registry} unreachable: ${errorText(err)}` };
    }
  }

  private async lookup(image: string, signal: AbortSignal): Promise<DigestResolution> {
    const loc = manifestLocation(image, this.insecure);
    const registry = parseImageRef(image).registry;
    const headers: Record<string, string> = { accept: MANIFEST_ACCEPT };
    let res = await fetch(loc.url, { method: 'HEAD', headers, signal });
    let login: RegistryLogin | undefined;
    if (res.status === 401) {
      try {
        login = await this.opts.credentials?.(registry);
      } catch (err) {
        return { why: `the credentials of registry ${registry} cannot be opened here: ${(err as Error).message}` };
      }
      const header = res.headers.get('www-authenticate');
      const scheme = challengeScheme(header);
      const bearer = parseBearerChallenge(header);
      if (scheme === 'bearer' && !bearer) {
        return { why: `registry ${registry} asks for a Bearer token without naming where to get one: ${header}` };
      } else if (bearer) {
        const tokenRes = await fetch(tokenUrl(bearer, loc.repository), { signal, headers: login ? { authorization: basicAuthorization(login) } : {} });
        if (tokenRes.status === 401 || tokenRes.status === 403) return refused(registry, tokenRes.status, login);
        const token = tokenRes.ok ? tokenFromAnswer(await tokenRes.json().catch(() => undefined)) : undefined;
        if (!token) return { why: `registry gave no pull token for ${loc.repository} (HTTP ${tokenRes.status})` };
        headers.authorization = `Bearer ${token}`;
      } else if (scheme === 'basic' && login) {
        headers.authorization = basicAuthorization(login);
      } else if (scheme === 'basic') {
        return refused(registry, 401, undefined);
      } else {
        return { why: `registry ${registry} asks for an authentication scheme Paz does not speak: ${header ?? '(no WWW-Authenticate)'}` };
      }
      res = await fetch(loc.url, { method: 'HEAD', headers, signal });
    }
    if (res.status === 401 || res.status === 403) return refused(registry, res.status, login);
    if (res.status === 404) return { why: `${image} is not in its registry (a local image?)` };
    if (!res.ok) return { why: `registry answered HTTP ${res.status} for ${loc.url}` };
    const header = res.headers.get('docker-content-digest');
    if (header && isImageDigest(header)) return { digest: header };
    // Docker-Content-Digest is optional in the spec: the digest is then the hash of the manifest's bytes
    const body = await fetch(loc.url, { headers, signal });
    if (!body.ok) return { why: `registry answered HTTP ${body.status} for ${loc.url}` };
    return { digest: `sha256:${createHash('sha256').update(Buffer.from(await body.arrayBuffer())).digest('hex')}` };
  }
}

function refused(registry: string, status: number, login: RegistryLogin | undefined): DigestResolution {
  return { why: refusalReason(registry, status, login?.username), refused: true };
}

function errorText(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'no answer in time';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}
