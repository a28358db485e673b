/**
 * Asks an image's registry which digest its tag points to right now (Docker Registry HTTP API v2), so a
 * deploy can pin the version to those bytes. A HEAD of the manifest answers with Docker-Content-Digest; a
 * 401 with a Bearer challenge gets an anonymous pull token and is asked again (Docker Hub, and registries
 * that allow anonymous pulls behind a token service). Bounded by a short timeout: a deploy must not hang on
 * a registry, it falls back to recording the digest at first pull (VersionDigests). Never throws.
 */
import { createHash } from 'node:crypto';
import { digestOf, imageRefProblem, isImageDigest, parseImageRef } from '../core/image-ref.js';
import { MANIFEST_ACCEPT, manifestLocation, parseBearerChallenge, tokenFromAnswer, tokenUrl } from '../core/registry-api.js';

export type DigestResolution = { digest: string } | { digest?: undefined; why: string };

export interface DigestResolverOptions {
  /** bound on the whole lookup (token + manifest); default 3 s */
  timeoutMs?: number;
  /** registries (host:port) spoken to over plain HTTP besides loopback ones (PAZ_INSECURE_REGISTRIES) */
  insecureRegistries?: string[];
  /** after a registry could not be reached, do not ask it again for this long; default 30 s */
  unreachableForMs?: number;
  now?: () => number;
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
    const headers: Record<string, string> = { accept: MANIFEST_ACCEPT };
    let res = await fetch(loc.url, { method: 'HEAD', headers, signal });
    if (res.status === 401) {
      const challenge = parseBearerChallenge(res.headers.get('www-authenticate'));
      if (!challenge) return { why: `registry asks for credentials for ${loc.repository} (not supported yet)` };
      const tokenRes = await fetch(tokenUrl(challenge, loc.repository), { signal });
      const token = tokenRes.ok ? tokenFromAnswer(await tokenRes.json().catch(() => undefined)) : undefined;
      if (!token) return { why: `registry gave no anonymous pull token for ${loc.repository} (HTTP ${tokenRes.status})` };
      headers.authorization = `Bearer ${token}`;
      res = await fetch(loc.url, { method: 'HEAD', headers, signal });
    }
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

function errorText(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'no answer in time';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}
