/**
 * Commands on a service or a unit first make sure it exists, so a typo fails (exit 1) with the nearest name
 * and what to do, instead of an empty table or the API's bare 404.
 */
import { PazApiError, type PazClient } from '../client/paz-client.js';
import { parseUnitName } from '../core/unit-name.js';
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

/** The names a unit may be given by: each unit's own (`web-3-1`) and the short `<service>-<instance>` (`web-1`). Pure. */
export function unitNameCandidates(units: string[]): string[] {
  const names = new Set<string>(units);
  for (const u of units) {
    const id = parseUnitName(u);
    if (id) names.add(`${id.service}-${id.instance}`);
  }
  return [...names];
}

/**
 * The unit `id` names (as the API resolves it); an unknown one fails with the nearest name. `orService`: the
 * command also takes a service's name (`paz logs`), so service names are among the near ones too.
 */
export async function requireUnit<T>(client: PazClient, id: string, orService = false): Promise<T> {
  try {
    return await client.call<T>('GET', `/cluster/units/${encodeURIComponent(id)}`);
  } catch (e) {
    if (!(e instanceof PazApiError) || e.status !== 404) throw e;
    const gone = await goneUnit(client, id);
    if (gone) throw new Error(gone);
    const units = (await client.units()).map((u) => String(u.name));
    const services = orService ? (await client.listServices()).map((s) => String(s.name)) : [];
    const near = closest(id, [...unitNameCandidates(units), ...services]);
    const naming = orService ? ", or a service's name for all its units" : '';
    throw new Error(`no unit named "${id}"${near ? ` (did you mean ${near}?)` : ''}: units are named <service>-<version>-<instance>, or <service>-<instance> for the newest version's${naming} (\`paz units\` lists them)`);
  }
}

/**
 * Why a unit that did exist is not there now, for `paz logs web-1-1` after the deploy of version 1 failed (its
 * instances are removed at once) or was replaced: "no unit named" would suggest a typo. Undefined when the name
 * cannot have been a unit of a deployed version.
 */
async function goneUnit(client: PazClient, id: string): Promise<string | undefined> {
  const unit = parseUnitName(id);
  if (!unit) return undefined;
  const rollout = await client.rollout(unit.service).catch(() => undefined);
  if (!rollout) return undefined;
  return goneUnitText(id, unit, rollout);
}

/** The words for goneUnit, from the unit's name and its service's latest deploy. Pure. */
export function goneUnitText(id: string, unit: { service: string; version: number }, rollout: { version: number; state: string; serving?: number }): string | undefined {
  const { service, version } = unit;
  if (version === rollout.version && rollout.state === 'failed') {
    return `${id} is gone: the deploy of version ${version} of ${service} failed and its instances were removed; the last lines they printed are in the deploy's reason (\`paz rollout ${service}\`)`;
  }
  if (version < rollout.version && version !== rollout.serving) {
    return `${id} is gone: version ${version} of ${service} is no longer deployed and its instances were stopped (\`paz units ${service}\` lists the ones that run)`;
  }
  return undefined;
}
