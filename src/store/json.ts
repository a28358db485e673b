/**
 * JSON on top of the string-valued Store: values are serialized here, in one place, and a value
 * that is not valid JSON fails loudly with the key it came from.
 */
import type { KeyValue, PutOptions, Store } from './store.js';

export interface JsonEntry<T> {
  key: string;
  value: T;
  kv: KeyValue;
}

export function parseJsonValue<T>(key: string, raw: string): T {
  try {
    return JSON.parse(raw) as T;
  } catch (err) {
    throw new Error(`store key ${key} does not hold JSON: ${(err as Error).message}`);
  }
}

export async function getJson<T>(store: Store, key: string): Promise<T | undefined> {
  const kv = await store.get(key);
  return kv === undefined ? undefined : parseJsonValue<T>(key, kv.value);
}

/** Like getJson, with the key's revisions (e.g. for a compare-and-swap on modRevision). */
export async function getJsonEntry<T>(store: Store, key: string): Promise<JsonEntry<T> | undefined> {
  const kv = await store.get(key);
  return kv === undefined ? undefined : { key, value: parseJsonValue<T>(key, kv.value), kv };
}

export function putJson(store: Store, key: string, value: unknown, opts?: PutOptions): Promise<number> {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`cannot store ${typeof value} at ${key} as JSON`);
  return store.put(key, text, opts);
}

export async function rangeJson<T>(store: Store, prefix: string): Promise<{ entries: JsonEntry<T>[]; revision: number }> {
  const { kvs, revision } = await store.range(prefix);
  return { entries: kvs.map((kv) => ({ key: kv.key, value: parseJsonValue<T>(kv.key, kv.value), kv })), revision };
}
