/**
 * Unit names as Paz had them: `<service>-<version>-<instance>` (e.g. `demo-api-3-1`). Service names may
 * themselves end in digits (`contrived-service-1`), so names are parsed from the right.
 */

export interface UnitId {
  service: string;
  version: number;
  instance: number;
}

export function unitName(service: string, version: number, instance: number): string {
  return `${service}-${version}-${instance}`;
}

/**
 * The first instance number a version may hand out now: above the highest it ever handed out (`issued`, from
 * the store's mark; 0 when the version has none, as versions deployed before the mark existed) and above every
 * instance it has a desired entry for. A number is never handed out twice: a unit whose entry is gone may still
 * run on a host whose agent is away, and a new unit of its name elsewhere would run beside it.
 */
export function firstFreeInstance(issued: number, instances: Iterable<number>): number {
  let highest = issued;
  for (const i of instances) if (i > highest) highest = i;
  return highest + 1;
}

/** Parses a unit name, with or without Paz's `.service` suffix; undefined when it is not a unit name. */
export function parseUnitName(name: string): UnitId | undefined {
  const base = name.endsWith('.service') ? name.slice(0, -'.service'.length) : name;
  const m = /^(.+)-([1-9][0-9]*)-([1-9][0-9]*)$/.exec(base);
  if (!m) return undefined;
  return { service: m[1], version: Number(m[2]), instance: Number(m[3]) };
}

/**
 * Finds the unit a name means among a service's units: the exact name (`demo-api-3-1`, `.service` allowed),
 * else the seed's short `<service>-<instance>` (`contrived-service-1`), which names that instance of the
 * newest version that has it. The one resolver behind every route and command that takes a unit.
 */
export function resolveUnitName<T extends { unit: string; service: string; version: number; instance: number }>(name: string, units: T[]): T | undefined {
  const base = name.endsWith('.service') ? name.slice(0, -'.service'.length) : name;
  const exact = units.find((u) => u.unit === base);
  if (exact) return exact;
  const short = shortUnitService(base);
  if (!short) return undefined;
  return units.filter((u) => u.service === short.service && u.instance === short.instance).sort((a, b) => b.version - a.version)[0];
}

/** The service and instance a short name `<service>-<instance>` would mean. */
export function shortUnitService(name: string): { service: string; instance: number } | undefined {
  const m = /^(.+)-([1-9][0-9]*)$/.exec(name);
  return m ? { service: m[1], instance: Number(m[2]) } : undefined;
}

/**
 * Unit names for a sentence: "a", "a and b", "a, b and c", past `named` "a, b, c and 97 more". A scale to 1,000
 * or a deploy failing 1,000 instances the same way printed every name.
 */
export function listUnitNames(units: readonly string[], named = 3): string {
  if (units.length <= 1) return units[0] ?? '';
  if (units.length <= named) return `${units.slice(0, -1).join(', ')} and ${units.at(-1)}`;
  return `${units.slice(0, named).join(', ')} and ${units.length - named} more`;
}

/**
 * Units and why (a failed deploy's outcome, a drain's stuck units): units with the same reason are named together, once ("web-1-1, web-1-2
 * and 8 more failed: IMAGE_NOT_FOUND: …"), in the order they first appear; 10 instances of a missing image used
 * to repeat the registry's words 10 times.
 */
export function unitsWhy(items: ReadonlyArray<{ unit: string; why: string }>): string {
  const byWhy = new Map<string, string[]>();
  for (const { unit, why } of items) byWhy.set(why, [...(byWhy.get(why) ?? []), unit]);
  return [...byWhy].map(([why, units]) => `${listUnitNames(units)} ${why}`).join('; ');
}
