/**
 * Opens the store a role runs on and asks it for its revision once, so that a store that refuses us
 * (wrong etcd password, missing client certificate, unreachable) stops the start with a message that says
 * what to fix, instead of failing later inside some role with a gRPC error.
 */
import { openStore, type Store, type StoreTlsFiles } from '../store/index.js';
import { describeStoreFailure } from '../store/etcd/etcd-errors.js';

export class StoreUnusableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreUnusableError';
  }
}

/** `readOnly`: a SQLite file is opened without ever writing it (paz backup, paz kv beside a running Paz). */
export async function openCheckedStore(url: string, tls: StoreTlsFiles, opts: { readOnly?: boolean } = {}): Promise<Store> {
  const store = await openStore(url, { tls, ...(opts.readOnly ? { sqlite: { readOnly: true } } : {}) });
  try {
    await store.revision();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw new StoreUnusableError(describeStoreFailure(store.name, err));
  }
  return store;
}
