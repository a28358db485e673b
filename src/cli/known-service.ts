/**
 * Commands on a service first make sure it exists, so a typo fails (exit 1) with the nearest name and how
 * to create one, instead of an empty table or the API's bare 404.
 */
import { PazApiError, type PazClient } from '../client/paz-client.js';
import { closest } from './closest.js';

/** The service's document; an unknown name fails with the nearest one. */
export async function requireService(client: PazClient, name: string): Promise<Record<string, unknown>> {
  try {
    return await client.getService(name);
  } catch (e) {
    if (!(e instanceof PazApiError) || e.status !== 404) throw e;
    const names = (await client.listServices()).map((s) => String(s.name));
    const near = closest(name, names);
    throw new Error(`no service named ${name}${near ? ` (did you mean ${near}?)` : ''}; create it with \`paz create FILE\``);
  }
}
