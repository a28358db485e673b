/**
 * The login an agent pulls an image with: the one set for the image's registry host (paz registry login),
 * opened with this host's secrets key. A login this host cannot open (another key) fails the pull the way a
 * refusing registry does, with a reason that says what to fix.
 */
import { DriverError } from './drivers/driver.js';
import { registryOf } from '../core/image-ref.js';
import type { RegistryLogin } from '../core/registry-auth.js';
import type { RegistryLogins } from '../state/registry-logins.js';

export async function loginForPull(logins: RegistryLogins | undefined, image: string): Promise<RegistryLogin | undefined> {
  if (!logins) return undefined;
  try {
    return await logins.forImage(image);
  } catch (err) {
    throw new DriverError('REGISTRY_AUTH', `the credentials of registry ${registryOf(image)} cannot be opened on this host: ${(err as Error).message}`, err);
  }
}
