/**
 * Which desired units exist for the platform's readers (placement, rollouts, agents, routers, API).
 * A deploy too large for one store txn (etcd: 128 ops) writes its units in several txns first, then
 * commits them all with ONE small txn that moves the service's latest version to theirs. Until then
 * they are "staged": their version is above the service's committed latest version. Every reader
 * applies this rule, so no reader ever sees part of a version: a version's units appear all at once,
 * at the commit. (Units of a stager that crashed stay staged, i.e. invisible, until the next writer of
 * the service removes them.) Pure.
 */
import { parseUnitName } from './unit-name.js';

/** A unit is committed when its version is at most its service's latest committed version. */
export function isCommittedUnit(unit: { service: string; version: number }, latestVersions: ReadonlyMap<string, number>): boolean {
  return unit.version <= (latestVersions.get(unit.service) ?? 0);
}

/** The same rule on a desired-unit key (`.../<service>/<service>-<version>-<instance>`), before parsing its value. */
export function isCommittedUnitKey(key: string, latestVersions: ReadonlyMap<string, number>): boolean {
  const slash = key.lastIndexOf('/');
  const service = key.slice(key.lastIndexOf('/', slash - 1) + 1, slash);
  const id = parseUnitName(key.slice(slash + 1));
  return id !== undefined && id.service === service && isCommittedUnit(id, latestVersions);
}

export function committedUnits<T extends { service: string; version: number }>(units: T[], latestVersions: ReadonlyMap<string, number>): T[] {
  return units.filter((u) => isCommittedUnit(u, latestVersions));
}
