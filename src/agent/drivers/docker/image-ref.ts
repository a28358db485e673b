/**
 * Docker image references: `[registry/]repository[:tag][@digest]`. Pure string handling, no I/O.
 * The registry part matters for error messages (which registry could not be reached) and for the
 * default tag (`docker pull name` means `name:latest`, while the Engine API would pull every tag).
 */

export interface ImageRef {
  /** host[:port] of the registry; `docker.io` when the reference names none */
  registry: string;
  /** the repository path without the registry, e.g. `paz/hello` */
  repository: string;
  tag?: string;
  digest?: string;
}

const DEFAULT_REGISTRY = 'docker.io';

/** A first path component names a registry when it looks like a host: has a dot or a port, or is localhost. */
function isRegistryHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

export function parseImageRef(ref: string): ImageRef {
  const trimmed = ref.trim();
  if (trimmed === '') throw new Error('empty image reference');
  let rest = trimmed;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  // a colon after the last slash separates the tag; one before it belongs to a registry port
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  let registry = DEFAULT_REGISTRY;
  let repository = rest;
  if (slash > 0 && isRegistryHost(rest.slice(0, slash))) {
    registry = rest.slice(0, slash);
    repository = rest.slice(slash + 1);
  }
  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** `name` -> `name:latest`; references with a tag or digest are returned unchanged */
export function withDefaultTag(ref: string): string {
  const parsed = parseImageRef(ref);
  return parsed.tag === undefined && parsed.digest === undefined ? `${ref.trim()}:latest` : ref.trim();
}

/** the registry a pull of `ref` talks to, e.g. `127.0.0.1:5000` or `docker.io` */
export function registryOf(ref: string): string {
  return parseImageRef(ref).registry;
}
