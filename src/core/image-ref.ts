/**
 * Docker image references: parsing, the repository identity used to match registry pushes to
 * services, and tag replacement. Pure.
 */

export interface ImageRef {
  /** registry host[:port]; `docker.io` for Docker Hub */
  registry: string;
  /** repository path inside the registry, e.g. `lukebond/demo-api` or `library/busybox` */
  path: string;
  tag?: string;
  digest?: string;
}

const DOCKER_HUB = 'docker.io';
const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** A reference is a registry host when its first component has a dot, a port, or is localhost. */
function isRegistryHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

export function parseImageRef(ref: string): ImageRef {
  let rest = ref.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  if (parts.length > 1 && isRegistryHost(parts[0])) {
    registry = parts.shift()!;
  }
  if (HUB_ALIASES.has(registry)) registry = DOCKER_HUB;
  let path = parts.join('/');
  if (registry === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  const out: ImageRef = { registry, path };
  if (tag) out.tag = tag;
  if (digest) out.digest = digest;
  return out;
}

/** Docker's reference grammar (distribution/reference), the parts Paz checks. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const PATH = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const DOMAIN = /^(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])(?:\.(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]))*(?::[0-9]{1,5})?$/;
const IPV6_DOMAIN = /^\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-f0-9]{32,}$/;
const MAX_NAME_LENGTH = 255;

/** Why `tag` is not a Docker tag, or undefined: what `docker tag` accepts. */
export function tagProblem(tag: string): string | undefined {
  if (tag.length === 0) return 'is empty';
  if (tag.length > 128) return `is ${tag.length} characters long: Docker tags have at most 128`;
  if (!TAG.test(tag)) return 'may contain only letters, digits, _ . and - (not starting with . or -), as Docker tags do';
  return undefined;
}

/** Checks a reference is something Docker can pull; returns a message saying what is wrong, or undefined. */
export function imageRefProblem(ref: string): string | undefined {
  if (ref.length === 0) return 'is empty';
  if (ref.length > 512) return 'is longer than 512 characters';
  if (/[\s\p{Cc}]/u.test(ref)) return 'contains white space or control characters: write it as docker pull takes it, e.g. "registry:5000/team/app:1.2"';
  const r = parseImageRef(ref);
  const name = imageName(ref);
  if (name.length > MAX_NAME_LENGTH) return `has a name of ${name.length} characters: Docker allows at most ${MAX_NAME_LENGTH}`;
  if (r.registry !== DOCKER_HUB && registryHostProblem(r.registry) !== undefined) {
    return `has an invalid registry "${r.registry}" (a host name or address, optionally with :port)`;
  }
  if (!PATH.test(r.path)) {
    return 'has an invalid repository path (lowercase letters, digits and . _ - / only, each part starting and ending with a letter or digit)';
  }
  if (r.tag !== undefined) {
    const why = tagProblem(r.tag);
    if (why) return `has an invalid tag "${r.tag}": it ${why}`;
  }
  if (ref.trim().endsWith(':')) return 'ends with ":" but names no tag: add the tag or drop the ":"';
  if (r.digest !== undefined && !DIGEST.test(r.digest)) return 'has an invalid digest (algorithm:hex, e.g. sha256: and 64 hex digits)';
  if (ref.includes('@') && r.digest === undefined) return 'ends with "@" but names no digest';
  return undefined;
}

/** `registry/path` without tag or digest: what identifies "the same repository" across pushes. */
export function repositoryKey(ref: string): string {
  const r = parseImageRef(ref);
  return `${r.registry}/${r.path}`;
}

/** The reference with its tag replaced (and any digest dropped), keeping the original spelling of the name. */
export function withTag(ref: string, tag: string): string {
  return `${imageName(ref)}:${tag}`;
}

/** The tag a reference names, `latest` when it names none (Docker's default), undefined for digests. */
export function effectiveTag(ref: string): string | undefined {
  const r = parseImageRef(ref);
  if (r.digest) return r.tag;
  return r.tag ?? 'latest';
}

/** `name` -> `name:latest` (what `docker pull name` means); references with a tag or digest are unchanged. */
export function withDefaultTag(ref: string): string {
  const r = parseImageRef(ref);
  return r.tag === undefined && r.digest === undefined ? `${ref.trim()}:latest` : ref.trim();
}

/** Why `host` is not a registry host[:port] as image references name one (`ghcr.io`, `127.0.0.1:5001`, `[::1]:5000`), or undefined. */
export function registryHostProblem(host: string): string | undefined {
  if (host.length === 0) return 'is empty';
  if (host.length > 255) return `is ${host.length} characters long: a host name has at most 255`;
  if (!DOMAIN.test(host) && !IPV6_DOMAIN.test(host)) return 'is not a registry host[:port] (letters, digits, dots and dashes, optionally :port, e.g. ghcr.io or 127.0.0.1:5001)';
  const port = /:(\d+)$/.exec(host.startsWith('[') ? host.slice(host.indexOf(']')) : host)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return `has port ${port}: a port is 1 to 65535`;
  return undefined;
}

/** One spelling per registry: lower case, and every Docker Hub alias (`registry-1.docker.io`, `index.docker.io`…) as `docker.io`. */
export function canonicalRegistryHost(host: string): string {
  const h = host.trim().toLowerCase();
  return HUB_ALIASES.has(h) ? DOCKER_HUB : h;
}

/** The registry a pull of `ref` talks to, e.g. `127.0.0.1:5000` or `docker.io`. */
export function registryOf(ref: string): string {
  return parseImageRef(ref).registry;
}

/** The reference without tag or digest, keeping the original spelling of the name (`127.0.0.1:5000/paz/app`). */
export function imageName(ref: string): string {
  let name = ref.trim();
  const at = name.indexOf('@');
  if (at >= 0) name = name.slice(0, at);
  const lastSlash = name.lastIndexOf('/');
  const lastColon = name.lastIndexOf(':');
  if (lastColon > lastSlash) name = name.slice(0, lastColon);
  return name;
}

/** A content digest as registries and Docker write it: `sha256:` and 64 hex digits. */
export function isImageDigest(digest: string): boolean {
  return /^sha256:[a-f0-9]{64}$/.test(digest);
}

/**
 * `name@sha256:…`: the reference that runs exactly these bytes whatever the tag points to later. The tag is
 * dropped (Docker ignores it next to a digest, and it would suggest the tag still matters).
 */
export function pinnedRef(ref: string, digest: string): string {
  if (!isImageDigest(digest)) throw new Error(`not an image digest: ${JSON.stringify(digest)}`);
  return `${imageName(ref)}@${digest}`;
}

/** The digest a reference pins, or undefined for a tag reference. */
export function digestOf(ref: string): string | undefined {
  const d = parseImageRef(ref).digest;
  return d !== undefined && isImageDigest(d) ? d : undefined;
}

/**
 * The digest among an image's RepoDigests (`name@sha256:…`, as `docker inspect` lists them) that belongs to
 * `ref`'s repository; undefined when the image was never pulled from or pushed to that repository (a local build).
 */
export function repoDigestFor(ref: string, repoDigests: readonly string[]): string | undefined {
  const want = repositoryKey(ref);
  for (const rd of repoDigests) {
    const d = digestOf(rd);
    if (d && repositoryKey(rd) === want) return d;
  }
  return undefined;
}

/**
 * True when an instance created from `running` runs what `wanted` asks for: the same reference, or `wanted`'s
 * tag pinned to a digest (the first pull of an unpinned version records and runs `name@digest`).
 */
export function runsWantedImage(running: string, wanted: string): boolean {
  if (running === wanted) return true;
  const d = digestOf(running);
  return d !== undefined && digestOf(wanted) === undefined && pinnedRef(wanted, d) === running;
}

/** The reference with a trailing `@sha256:…` removed (the process driver runs programs, which have no digest). */
export function withoutDigest(ref: string): string {
  return ref.replace(/@sha256:[a-f0-9]{64}$/, '');
}

/**
 * The tag a deploy without one would change the serving version's image from and to, when it would: the
 * service's `repository` as it is (no tag there: `latest`) against the image `serving` runs. Undefined when the
 * tags agree, the serving image is of another repository (changed on purpose) or either names a digest only.
 */
export function servingTagChange(repository: string, serving: string): { now: string; next: string } | undefined {
  if (imageName(serving) !== imageName(repository)) return undefined;
  const next = effectiveTag(repository);
  const now = effectiveTag(serving);
  return next === undefined || now === undefined || next === now ? undefined : { now, next };
}
