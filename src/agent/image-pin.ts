/**
 * Pinning at first pull, the agent's half (the store's half is VersionDigests). A version deployed while its
 * registry could not be asked runs a tag reference; the first instance to pull it records the digest the pull
 * got, and every instance of that version, here or on another host, then runs `name@digest`.
 * Drivers without images (process) have no digest: their units run as deployed.
 */
import type { Logger } from 'pino';
import type { Driver } from './drivers/driver.js';
import type { DesiredUnit } from '../core/records.js';
import { digestOf, pinnedRef } from '../core/image-ref.js';
import type { VersionDigests } from '../state/version-digests.js';
import type { RegistryLogins } from '../state/registry-logins.js';
import { loginForPull } from './pull-login.js';

export class ImagePinning {
  constructor(
    private readonly digests: VersionDigests,
    private readonly driver: Driver,
    private readonly logger: Logger,
    private readonly registryLogins?: RegistryLogins,
  ) {}

  private applies(image: string): boolean {
    return this.driver.imageDigest !== undefined && digestOf(image) === undefined;
  }

  /** What to pull for the unit: `image` (its artifact), pinned when its version already has a recorded digest. */
  async imageToPull(d: DesiredUnit, image: string): Promise<string> {
    if (!this.applies(image)) return image;
    const recorded = await this.digests.get(d.service, d.version).catch(() => undefined);
    return recorded ? pinnedRef(image, recorded) : image;
  }

  /**
   * After `image` was pulled (or found locally): records its digest for the version unless one is recorded,
   * and returns what to start. When another host recorded a different digest first, that one is pulled and run.
   */
  async imageToStart(d: DesiredUnit, image: string): Promise<string> {
    if (!this.applies(image)) return image;
    const local = await this.driver.imageDigest!(image);
    if (!local) {
      this.logger.warn({ unit: d.unit, image }, 'image has no registry digest (built or loaded on this host): the version is not pinned');
      return image;
    }
    const held = await this.digests.recordOnce(d.service, d.version, local);
    const pinned = pinnedRef(image, held);
    if (held !== local) {
      this.logger.info({ unit: d.unit, image, recorded: held, local }, 'the tag moved since this version was first pulled: pulling the recorded digest');
      await this.driver.pull(pinned, undefined, undefined, await loginForPull(this.registryLogins, pinned));
    } else {
      this.logger.info({ unit: d.unit, image, digest: held }, 'version pinned to the digest of its first pull');
    }
    return pinned;
  }
}
