/**
 * The store's front door: `openStore(url)` picks the backend from the URL the operator gave
 * (`--store`), so roles never name a backend themselves.
 *
 *   sqlite:/var/lib/paz/store.db, sqlite:///var/lib/paz/store.db, or a plain path  -> SqliteStore
 *   sqlite::memory:                                                                  -> a private in-memory SqliteStore
 *   etcd://host:2379,host2:2379                                                      -> EtcdStore (members of one cluster)
 */
import { SqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

export * from './store.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.js';

export type StoreLocation = { kind: 'sqlite'; path: string } | { kind: 'etcd'; endpoints: string[] };

/** Pure parsing of a store URL; throws with a message that says which forms are accepted. */
export function parseStoreUrl(url: string): StoreLocation {
  const trimmed = url.trim();
  if (trimmed === '') throw new Error(`empty store URL; use sqlite:/path/to/store.db or etcd://host:2379`);
  if (/^etcd:\/\//i.test(trimmed)) {
    const endpoints = trimmed.slice('etcd://'.length).split(',').map((e) => e.trim()).filter((e) => e !== '');
    if (endpoints.length === 0) throw new Error(`store URL ${url} names no etcd endpoint; use etcd://host:2379[,host2:2379]`);
    return { kind: 'etcd', endpoints };
  }
  if (/^sqlite:/i.test(trimmed)) {
    // sqlite:///abs/path (URL style) and sqlite:/abs/path both mean /abs/path
    const path = trimmed.slice('sqlite:'.length).replace(/^\/\//, '');
    if (path === '') throw new Error(`store URL ${url} has no file path; use sqlite:/path/to/store.db`);
    return { kind: 'sqlite', path };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed);
  if (scheme !== null) {
    throw new Error(`unknown store URL scheme "${scheme[1]}:" in ${url}; use sqlite:/path/to/store.db or etcd://host:2379`);
  }
  return { kind: 'sqlite', path: trimmed };
}

export async function openStore(url: string, sqliteOptions?: SqliteStoreOptions): Promise<Store> {
  const location = parseStoreUrl(url);
  switch (location.kind) {
    case 'sqlite':
      return new SqliteStore(location.path, sqliteOptions);
    case 'etcd': {
      // loaded on demand: gRPC and etcd's protos cost SQLite-only processes ~80 ms and ~20 MB at start
      const { EtcdStore } = await import('./etcd/etcd-store.js');
      // connects lazily: an unreachable cluster fails the first call, not the open
      return new EtcdStore(location.endpoints);
    }
  }
}
