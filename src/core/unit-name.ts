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

/** Parses a unit name, with or without Paz's `.service` suffix; undefined when it is not a unit name. */
export function parseUnitName(name: string): UnitId | undefined {
  const base = name.endsWith('.service') ? name.slice(0, -'.service'.length) : name;
  const m = /^(.+)-([1-9][0-9]*)-([1-9][0-9]*)$/.exec(base);
  if (!m) return undefined;
  return { service: m[1], version: Number(m[2]), instance: Number(m[3]) };
}
