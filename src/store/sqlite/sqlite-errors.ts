/**
 * SQLite's failures of a write, as the store's errors: a full disk is StoreFullError (the operator frees space;
 * the API answers 507 and says so), a write lock another process held past the busy timeout is
 * StoreUnavailableError (try again; 503). Both mean nothing of the write was made: SQLite rolled it back.
 * Anything else is passed on as it is. Pure: reads better-sqlite3's `code`.
 */
import { StoreFullError, StoreUnavailableError } from '../store.js';

export function sqliteWriteError(err: unknown, store: string, busyTimeoutMs: number): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_FULL') {
    return new StoreFullError(store, `the disk holding its file is full (SQLite: ${(err as Error).message}): free space on that disk`);
  }
  if (code === 'SQLITE_BUSY') {
    return new StoreUnavailableError(store, `another process held its write lock for more than ${busyTimeoutMs / 1000} s (SQLite: ${(err as Error).message}); nothing was written`);
  }
  return err;
}
