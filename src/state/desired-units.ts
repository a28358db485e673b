/**
 * Reading desired units as every reader must see them: committed ones only (src/core/committed-units.ts).
 * The latest versions are read BEFORE the units: a version's units are all written before the txn that
 * commits it, so every unit of a version seen as committed here was already there at the second read.
 * (Read in the other order, a deploy committing between the reads would show only its early chunks.)
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Store } from '../store/store.js';
import { keys } from '../core/keys.js';
import type { DesiredUnit } from '../core/records.js';
import { isCommittedUnitKey } from '../core/committed-units.js';
import { parseJsonValue, type JsonEntry } from '../store/json.js';

export async function latestVersions(store: Store, service?: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (service !== undefined) {
    const kv = await store.get(keys.latest(service));
    if (kv) out.set(service, Number(kv.value));
    return out;
  }
  const prefix = keys.latestPrefix();
  for (const kv of (await store.range(prefix)).kvs) out.set(kv.key.slice(prefix.length), Number(kv.value));
  return out;
}

/** units parsed before the event loop gets a turn: 1000 of them at once were tens of ms on a busy host */
const PARSE_BATCH = 200;

/** The committed desired units of one service, or of all; staged units are skipped before parsing. */
export async function committedDesiredUnits(store: Store, service?: string): Promise<{ entries: JsonEntry<DesiredUnit>[]; revision: number }> {
  const latest = await latestVersions(store, service);
  const { kvs, revision } = await store.range(service === undefined ? keys.desiredUnitsPrefix() : keys.desiredUnitsOf(service));
  const entries: JsonEntry<DesiredUnit>[] = [];
  for (let i = 0; i < kvs.length; i++) {
    if (i > 0 && i % PARSE_BATCH === 0) await nextTurn();
    const kv = kvs[i];
    if (isCommittedUnitKey(kv.key, latest)) entries.push({ key: kv.key, value: parseJsonValue<DesiredUnit>(kv.key, kv.value), kv });
  }
  return { entries, revision };
}
