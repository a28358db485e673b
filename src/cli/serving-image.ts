/**
 * What serves a service now, as the CLI's hints need it: the serving version and its image, beside the service's
 * dockerRepository. Never fails a command: any answer it cannot get (a service never deployed, an older server)
 * means undefined.
 */
import type { PazClient } from '../client/paz-client.js';
import { rolloutCommand } from './tag-note.js';

export interface ServingImage {
  version: number;
  image: string;
  repository: string;
}

export async function servingImage(client: PazClient, name: string): Promise<ServingImage | undefined> {
  try {
    const [svc, rollout] = await Promise.all([client.getService(name), client.rollout(name)]);
    if (!rollout.serving) return undefined;
    const record = (await client.versions(name)).find((r) => r.version === rollout.serving);
    if (typeof svc.dockerRepository !== 'string' || typeof record?.image !== 'string') return undefined;
    return { version: rollout.serving, image: record.image, repository: svc.dockerRepository };
  } catch {
    return undefined;
  }
}

/**
 * `'paz deploy NAME[ --tag T]' rolls it out`: what a changed next config's user runs next (tag-note.ts). The tag
 * kept is the serving version's; with nothing serving (every deploy failed, or the first is under way), the
 * newest deploy's: the tag its user chose last, and the one the config change is most likely a fix for.
 */
export async function rollsItOut(client: PazClient, name: string): Promise<string> {
  const kept = (await servingImage(client, name)) ?? (await newestDeployedImage(client, name));
  return `'${rolloutCommand(name, kept?.repository, kept?.image)}' rolls it out`;
}

/** The newest deployed version's image (undefined when there is none, or it cannot be read). */
async function newestDeployedImage(client: PazClient, name: string): Promise<ServingImage | undefined> {
  try {
    const [svc, records] = await Promise.all([client.getService(name), client.versions(name)]);
    const newest = records
      .filter((r): r is Record<string, unknown> & { version: number; image: string } => typeof r.version === 'number' && typeof r.image === 'string')
      .sort((a, b) => b.version - a.version)[0];
    if (typeof svc.dockerRepository !== 'string' || !newest) return undefined;
    return { version: newest.version, image: newest.image, repository: svc.dockerRepository };
  } catch {
    return undefined;
  }
}
