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

/** `'paz deploy NAME[ --tag T]' rolls it out`: what a changed next config's user runs next (tag-note.ts) */
export async function rollsItOut(client: PazClient, name: string): Promise<string> {
  const serving = await servingImage(client, name);
  return `'${rolloutCommand(name, serving?.repository, serving?.image)}' rolls it out`;
}
