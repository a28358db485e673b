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

/**
 * The service's repository and the image of a version it picks from the version records: one read of the service,
 * its rollout and its versions. Undefined when an answer is missing or the version has no image.
 */
async function imageOf(
  client: PazClient,
  name: string,
  pick: (records: Array<{ version: number; image: string }>, serving: number) => { version: number; image: string } | undefined,
): Promise<ServingImage | undefined> {
  try {
    const [svc, rollout, records] = await Promise.all([client.getService(name), client.rollout(name), client.versions(name)]);
    const withImages = records.filter((r): r is Record<string, unknown> & { version: number; image: string } => typeof r.version === 'number' && typeof r.image === 'string');
    const record = pick(withImages, rollout.serving ?? 0);
    if (typeof svc.dockerRepository !== 'string' || !record) return undefined;
    return { version: record.version, image: record.image, repository: svc.dockerRepository };
  } catch {
    return undefined;
  }
}

export function servingImage(client: PazClient, name: string): Promise<ServingImage | undefined> {
  return imageOf(client, name, (records, serving) => (serving ? records.find((r) => r.version === serving) : undefined));
}

/**
 * `'paz deploy NAME[ --tag T]' rolls it out`: what a changed next config's user runs next (tag-note.ts). The tag
 * kept is the serving version's; with nothing serving (every deploy failed, or the first is under way), the
 * newest deploy's: the tag its user chose last, and the one the config change is most likely a fix for.
 */
export async function rollsItOut(client: PazClient, name: string): Promise<string> {
  const kept = await imageOf(client, name, (records, serving) =>
    serving ? records.find((r) => r.version === serving) : [...records].sort((a, b) => b.version - a.version)[0],
  );
  return `'${rolloutCommand(name, kept?.repository, kept?.image)}' rolls it out`;
}
