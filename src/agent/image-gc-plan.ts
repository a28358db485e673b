/**
 * Which image references an agent removes from its host. Paz pulls an image for every version it deploys, and
 * nothing removed them: a host's disk filled deploy after deploy (Kamal prunes all but its last five images for
 * the same reason). Pure.
 *
 * A reference (`repo:tag` or `repo@sha256:…`) is removed only when all of these hold:
 * - its image came from a registry (it has a registry digest): an image built on the host and never pushed,
 *   a developer's `docker build -t app:dev`, is never touched, whatever its name;
 * - its repository is one a Paz service deploys from, or one this host pulled for Paz (pulled-repositories.ts: a
 *   deleted service's): an image of anything else on the host is never touched;
 * - it is not the image of one of the newest versions of a service (by tag or by digest: what a rollback to
 *   them runs, kept so that it needs no pull), of the serving version, or of a unit desired on this host.
 * Docker refuses by itself to remove the last reference of an image a container uses, running or stopped.
 */
import { parseImageRef, repositoryKey } from '../core/image-ref.js';
import type { HostImage } from './drivers/driver.js';

/** The versions whose images stay, per service: the newest this many (and the serving one). */
export const DEFAULT_IMAGE_KEEP_VERSIONS = 5;

export interface ImagesInUse {
  /** repositories Paz deploys from (repositoryKey form): only their references may be removed */
  repositories: Set<string>;
  /** references kept (normalRef form) */
  refs: Set<string>;
}

/** `registry/path:tag` or `registry/path@digest`, whatever the spelling (`busybox` is `docker.io/library/busybox:latest`). */
export function normalRef(ref: string): string {
  const r = parseImageRef(ref);
  const name = `${r.registry}/${r.path}`;
  return r.digest ? `${name}@${r.digest}` : `${name}:${r.tag ?? 'latest'}`;
}

/**
 * What stays: `repositories` of every service, and the references of `kept` images (the newest versions' and
 * the serving one's, as deployed: `image` and, when known, the digest it is pinned to; a desired unit's image).
 */
export function imagesInUse(repositories: readonly string[], kept: ReadonlyArray<{ image: string; digest?: string }>): ImagesInUse {
  const out: ImagesInUse = { repositories: new Set(repositories.map(repositoryKey)), refs: new Set() };
  for (const k of kept) {
    out.repositories.add(repositoryKey(k.image));
    out.refs.add(normalRef(k.image));
    if (k.digest) out.refs.add(`${repositoryKey(k.image)}@${k.digest}`);
  }
  return out;
}

/** The references to remove, each with its image (to say how much it frees once its image goes). */
export function refsToRemove(images: readonly HostImage[], inUse: ImagesInUse): Array<{ ref: string; image: HostImage }> {
  const out: Array<{ ref: string; image: HostImage }> = [];
  for (const image of images) {
    if (!image.refs.some((r) => r.includes('@'))) continue;
    for (const ref of image.refs) {
      let repository: string;
      try {
        repository = repositoryKey(ref);
      } catch {
        continue;
      }
      if (!inUse.repositories.has(repository) || inUse.refs.has(normalRef(ref))) continue;
      out.push({ ref, image });
    }
  }
  return out;
}

/** The versions of a service whose images stay: the newest `keep` up to `latest`, and `serving`. */
export function keptVersions(latest: number, serving: number, keep: number): number[] {
  const out = new Set<number>();
  for (let v = latest; v >= 1 && v > latest - keep; v--) out.add(v);
  if (serving > 0) out.add(serving);
  return [...out];
}

/**
 * The pulled repositories (pulled-repositories.ts) a pass can forget: no service deploys from them and nothing
 * kept runs them (`inUse` before the pulled ones were added to it), no reference of them is left on the host
 * (`refsLeft`: the images' references but those the pass removed), and they were written down before the pass
 * listed the host's images (`listedAt`): one written down since may be being pulled right now.
 */
export function repositoriesToForget(pulled: ReadonlyMap<string, number>, inUse: ImagesInUse, refsLeft: readonly string[], listedAt: number): string[] {
  const onHost = new Set<string>();
  for (const ref of refsLeft) {
    try {
      onHost.add(repositoryKey(ref));
    } catch {
      // not a reference Paz could have pulled
    }
  }
  return [...pulled].filter(([repo, at]) => at < listedAt && !inUse.repositories.has(repo) && !onHost.has(repo)).map(([repo]) => repo);
}
