/**
 * The agent's image collector: every so often it removes from its host the image references of versions no
 * longer kept (image-gc-plan.ts says which), so that a host's disk does not fill with every image Paz ever
 * pulled there. One pass at a time; a pass that fails (the store or dockerd not answering) is logged and the
 * next one tries again. Drivers without images (process) have nothing to collect.
 */
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import type { Driver } from './drivers/driver.js';
import { Deploys } from '../state/deploys.js';
import { listServices } from '../state/service-docs.js';
import { formatBytes } from '../core/byte-size.js';
import { imagesInUse, keptVersions, refsToRemove, repositoriesToForget } from './image-gc-plan.js';
import type { PulledRepositories } from './pulled-repositories.js';

export interface ImageGcOptions {
  store: Store;
  driver: Driver;
  logger: Logger;
  /** versions per service whose images stay (the newest this many, and the serving one) */
  keepVersions: number;
  intervalMs: number;
  /** the images of the units desired on this host now */
  desiredImages: () => string[];
  /** the repositories this host pulled for Paz: a deleted service's images go too; absent: services' only */
  pulled?: PulledRepositories;
}

export interface ImageGcPass {
  removed: string[];
  /** bytes of the images that went with their last reference */
  freed: number;
}

export class ImageGc {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(private readonly opts: ImageGcOptions) {}

  start(): void {
    if (!this.opts.driver.images || !this.opts.driver.removeImageRef) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.pass()
        .catch((err) => {
          if (!this.stopped) this.opts.logger.warn({ err }, 'image collection failed; the next pass tries again');
        })
        .finally(() => (this.running = undefined));
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  /**
   * No pass starts any more, and one under way removes nothing more. It is not waited for: a dockerd that does
   * not answer would hold the agent's shutdown for its calls' deadline, and nothing is lost by leaving it.
   */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** One pass: what is kept is read from the store, then every other reference of Paz's repositories is removed. */
  async pass(): Promise<ImageGcPass> {
    const { driver, store, logger } = this.opts;
    if (!driver.images || !driver.removeImageRef) return { removed: [], freed: 0 };
    // the images first, what is kept second: an image on the list was pulled for a version whose record was
    // written before, so the reads below know it; one pulled after the list is not on it
    const listedAt = Date.now();
    const images = await driver.images();
    const services = await listServices(store);
    // the control plane's own reads: the serving version (also for services from before its record), and each
    // version's record with the digest its first pull recorded when the deploy could not ask the registry
    const deploys = new Deploys(store);
    const kept: Array<{ image: string; digest?: string }> = this.opts.desiredImages().map((image) => ({ image }));
    for (const svc of services) {
      const [latest, serving] = await Promise.all([deploys.latestVersion(svc.name), deploys.servingVersion(svc.name)]);
      for (const v of keptVersions(latest, serving, this.opts.keepVersions)) {
        const rec = await deploys.version(svc.name, v).catch(() => undefined);
        if (rec) kept.push({ image: rec.image, digest: rec.digest });
      }
    }
    const inUse = imagesInUse(services.map((s) => s.dockerRepository), kept);
    // what this host pulled of repositories no service names any more (deleted services') is collected too
    const pulled = this.opts.pulled?.known() ?? new Map<string, number>();
    const collectable = { repositories: new Set([...inUse.repositories, ...pulled.keys()]), refs: inUse.refs };
    const removed: string[] = [];
    let freed = 0;
    const gone = new Set<string>();
    for (const { ref, image } of refsToRemove(images, collectable)) {
      if (this.stopped) break;
      const outcome = await driver.removeImageRef(ref);
      if (outcome !== 'removed') continue;
      removed.push(ref);
      // the image itself went with its last reference; another of its references may already be gone with it
      if (!gone.has(image.id) && image.refs.every((r) => r === ref || removed.includes(r))) {
        gone.add(image.id);
        freed += image.size;
      }
    }
    if (!this.stopped && this.opts.pulled) {
      const refsLeft = images.flatMap((i) => i.refs).filter((r) => !removed.includes(r));
      this.opts.pulled.forget(repositoriesToForget(pulled, inUse, refsLeft, listedAt));
    }
    if (removed.length > 0) logger.info({ removed, freed }, `removed ${removed.length} image reference${removed.length === 1 ? '' : 's'} of versions no longer kept (${formatBytes(freed)} freed)`);
    return { removed, freed };
  }
}
