/**
 * The synchronous SQL layer of the SQLite store: every method is one SQLite transaction (or one
 * atomic statement), so a write either fully happens, with its log rows and one revision, or not at
 * all. Writes use BEGIN IMMEDIATE so two processes on one file queue on the write lock (busy_timeout)
 * instead of failing on a read-to-write lock upgrade.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { LeaseNotFoundError, type KeyValue, type TxnOp, type TxnRequest } from '../store.js';
import { prefixBounds, type KeyBounds } from './prefix-range.js';
import { SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';
import { assertNoDuplicateWrites, compareHolds } from './txn-rules.js';

export const IN_MEMORY = ':memory:';

export interface Meta {
  revision: number;
  compacted: number;
}

export interface LogRow {
  revision: number;
  type: 'put' | 'delete';
  key: string;
  value: string;
  prev_value: string | null;
}

interface KvRow {
  key: string;
  value: string;
  create_revision: number;
  mod_revision: number;
  version: number;
  lease: number;
}

export interface WriteResult {
  /** the revision of the write, or undefined when it changed nothing */
  revision: number | undefined;
  deleted: number;
}

/** Per-write state: the revision is taken lazily so a write that changes nothing does not consume one. */
class WriteScope {
  private assigned: number | undefined;
  private seq = 0;
  deleted = 0;
  /** leases this write found live: a txn of a thousand statuses under one lease asks SQLite once, not a thousand times */
  readonly liveLeases = new Set<number>();

  constructor(private readonly current: number) {}

  get revision(): number | undefined {
    return this.assigned;
  }

  nextEvent(): { revision: number; seq: number } {
    this.assigned ??= this.current + 1;
    return { revision: this.assigned, seq: this.seq++ };
  }
}

export class KvDatabase {
  private readonly db: Database.Database;
  private readonly stmt;
  private readonly inRead: <T>(fn: () => T) => T;
  private readonly inWrite: <T>(fn: () => T) => T;

  /**
   * `file` may be ':memory:' for a private, throw-away store (one connection, nothing shared).
   * `readOnly`: the file must exist and is never written, not even to create or migrate its schema, so a
   * reader beside a busy writer (`paz backup`, `paz kv`) never waits for the write lock: in WAL mode a read
   * sees the last commit without any lock a writer holds.
   */
  constructor(file: string, busyTimeoutMs: number, readOnly = false) {
    if (readOnly) {
      if (file === IN_MEMORY || !existsSync(file)) throw new Error(`${file} does not exist: there is no Paz store there (give --data-dir or --store)`);
      this.db = new Database(file, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
      try {
        this.db.pragma(`busy_timeout = ${Math.floor(busyTimeoutMs)}`);
        const version = this.db.pragma('user_version', { simple: true }) as number;
        if (version === 0) throw new Error(`${file} is not a Paz store (an empty or other SQLite file)`);
        if (version > SCHEMA_VERSION) throw new Error(`${file} has store schema version ${version}; this Paz understands up to ${SCHEMA_VERSION}`);
      } catch (err) {
        this.db.close();
        throw err;
      }
    } else {
      if (file !== IN_MEMORY) mkdirSync(dirname(file), { recursive: true });
      this.db = new Database(file, { timeout: busyTimeoutMs });
      try {
        this.db.pragma(`busy_timeout = ${Math.floor(busyTimeoutMs)}`);
        this.db.pragma('journal_mode = WAL');
        // FULL: the WAL is fsynced at every commit, so an acknowledged write survives kill -9 and power loss
        this.db.pragma('synchronous = FULL');
        this.db.pragma('foreign_keys = OFF');
        const migrate = this.db.transaction(() => {
          const version = this.db.pragma('user_version', { simple: true }) as number;
          if (version > SCHEMA_VERSION) {
            throw new Error(`${file} has store schema version ${version}; this Paz understands up to ${SCHEMA_VERSION}`);
          }
          this.db.exec(SCHEMA_SQL);
          this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
        });
        migrate.immediate();
      } catch (err) {
        this.db.close();
        throw err;
      }
    }

    this.stmt = {
      meta: this.db.prepare<[], Meta>('SELECT revision, compacted FROM meta WHERE id = 1'),
      revision: this.db.prepare<[], { revision: number }>('SELECT revision FROM meta WHERE id = 1'),
      setRevision: this.db.prepare<[number]>('UPDATE meta SET revision = ? WHERE id = 1'),
      setCompacted: this.db.prepare<[number]>('UPDATE meta SET compacted = ? WHERE id = 1'),
      get: this.db.prepare<[string], KvRow>('SELECT * FROM kv WHERE key = ?'),
      rangeFrom: this.db.prepare<[string], KvRow>('SELECT * FROM kv WHERE key >= ? ORDER BY key'),
      rangeBetween: this.db.prepare<[string, string], KvRow>('SELECT * FROM kv WHERE key >= ? AND key < ? ORDER BY key'),
      byLease: this.db.prepare<[number], KvRow>('SELECT * FROM kv WHERE lease = ? ORDER BY key'),
      insertKv: this.db.prepare<[string, string, number, number, number, number]>(
        'INSERT INTO kv (key, value, create_revision, mod_revision, version, lease) VALUES (?, ?, ?, ?, ?, ?)'),
      updateKv: this.db.prepare<[string, number, number, number, string]>(
        'UPDATE kv SET value = ?, mod_revision = ?, version = ?, lease = ? WHERE key = ?'),
      deleteKv: this.db.prepare<[string]>('DELETE FROM kv WHERE key = ?'),
      insertLog: this.db.prepare<[number, number, string, string, string, string | null]>(
        'INSERT INTO log (revision, seq, type, key, value, prev_value) VALUES (?, ?, ?, ?, ?, ?)'),
      eventsFrom: this.db.prepare<[number, number, string], LogRow>(
        'SELECT revision, type, key, value, prev_value FROM log WHERE revision >= ? AND revision <= ? AND key >= ? ORDER BY revision, seq'),
      eventsBetween: this.db.prepare<[number, number, string, string], LogRow>(
        'SELECT revision, type, key, value, prev_value FROM log WHERE revision >= ? AND revision <= ? AND key >= ? AND key < ? ORDER BY revision, seq'),
      trimLog: this.db.prepare<[number]>('DELETE FROM log WHERE revision <= ?'),
      insertLease: this.db.prepare<[number, number]>('INSERT INTO leases (ttl, expires_at) VALUES (?, ?)'),
      liveLease: this.db.prepare<[number, number], { ttl: number }>('SELECT ttl FROM leases WHERE id = ? AND expires_at > ?'),
      leaseExpiry: this.db.prepare<[number], { expires_at: number }>('SELECT expires_at FROM leases WHERE id = ?'),
      refreshLease: this.db.prepare<[number, number, number]>(
        'UPDATE leases SET expires_at = ? + ttl * 1000 WHERE id = ? AND expires_at > ?'),
      renewLeasesSince: this.db.prepare<[number, number, number]>(
        'UPDATE leases SET expires_at = MAX(expires_at, ? + ttl * 1000) WHERE expires_at >= ? AND expires_at < ? + ttl * 1000'),
      deleteLease: this.db.prepare<[number]>('DELETE FROM leases WHERE id = ?'),
      expiredLeases: this.db.prepare<[number, number], { id: number }>(
        'SELECT id FROM leases WHERE expires_at <= ? ORDER BY expires_at LIMIT ?'),
    };

    // One transaction wrapper each, reused: better-sqlite3 passes the callback through as an argument.
    const tx = this.db.transaction((fn: () => unknown) => fn());
    this.inRead = <T>(fn: () => T) => tx.deferred(fn) as T;
    this.inWrite = <T>(fn: () => T) => tx.immediate(fn) as T;
  }

  close(): void {
    this.db.close();
  }

  meta(): Meta {
    return this.stmt.meta.get() as Meta;
  }

  revision(): number {
    return (this.stmt.revision.get() as { revision: number }).revision;
  }

  /** Runs several reads on one consistent snapshot, even while other processes write. */
  snapshot<T>(fn: () => T): T {
    return this.inRead(fn);
  }

  get(key: string): KeyValue | undefined {
    const row = this.stmt.get.get(key);
    return row === undefined ? undefined : toKeyValue(row);
  }

  range(prefix: string): { kvs: KeyValue[]; revision: number } {
    return this.inRead(() => ({ kvs: this.rangeRows(prefixBounds(prefix)).map(toKeyValue), revision: this.revision() }));
  }

  /** Several prefixes and the revision, in one read transaction: one consistent snapshot. */
  rangeMany(prefixes: readonly string[]): { ranges: KeyValue[][]; revision: number } {
    return this.inRead(() => ({ ranges: prefixes.map((p) => this.rangeRows(prefixBounds(p)).map(toKeyValue)), revision: this.revision() }));
  }

  /** The log rows of revisions from..to (inclusive) whose key is within bounds, in revision and event order. */
  events(from: number, to: number, bounds: KeyBounds): LogRow[] {
    return bounds.end === undefined
      ? this.stmt.eventsFrom.all(from, to, bounds.start)
      : this.stmt.eventsBetween.all(from, to, bounds.start, bounds.end);
  }

  /**
   * Runs several writes in one SQLite transaction, so they share one commit (one fsync of the WAL): each
   * still is a write of its own (its own revision, as in etcd), in a savepoint of its own, so one that throws
   * (a lease gone, a bad op) is undone alone and the others stay. Nothing is acknowledged before the commit.
   */
  writeBatch(writes: ReadonlyArray<() => unknown>): Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> {
    return this.inWrite(() =>
      writes.map((write) => {
        try {
          // nested: better-sqlite3 makes it a savepoint of the outer transaction
          return { ok: true as const, value: this.inWrite(write) };
        } catch (error) {
          // an error that made SQLite roll back the whole transaction (disk full, I/O): nothing of the batch
          // is written, so every write of it fails
          if (!this.db.inTransaction) throw error;
          return { ok: false as const, error };
        }
      }),
    );
  }

  applyTxn(req: TxnRequest, now: number): { succeeded: boolean; revision: number } {
    assertNoDuplicateWrites(req.success);
    assertNoDuplicateWrites(req.failure ?? []);
    return this.inWrite(() => {
      const current = this.revision();
      const succeeded = req.compare.every((c) => compareHolds(this.get(c.key), c));
      const scope = new WriteScope(current);
      for (const op of succeeded ? req.success : req.failure ?? []) this.applyOp(scope, op, now);
      this.finish(scope);
      return { succeeded, revision: scope.revision ?? current };
    });
  }

  applyOps(ops: TxnOp[], now: number): WriteResult {
    return this.inWrite(() => {
      const scope = new WriteScope(this.revision());
      for (const op of ops) this.applyOp(scope, op, now);
      this.finish(scope);
      return { revision: scope.revision, deleted: scope.deleted };
    });
  }

  grantLease(ttlSeconds: number, now: number): number {
    return Number(this.stmt.insertLease.run(ttlSeconds, now + ttlSeconds * 1000).lastInsertRowid);
  }

  /** Extends a live lease to now + ttl; false when it is gone or already past its deadline. */
  keepAlive(leaseId: number, now: number): boolean {
    return this.stmt.refreshLease.run(now, leaseId, now).changes === 1;
  }

  /**
   * Gives every lease that expires at or after `since` (expired by now, or not yet) a whole TTL from `now`: the
   * store could not record keep-alives from `since` on (its disk was full), and those leases must not expire for
   * it. Returns how many were renewed.
   */
  renewLeasesSince(since: number, now: number): number {
    return this.stmt.renewLeasesSince.run(now, since, now).changes;
  }

  /** Deletes the lease and its keys (one revision if it had keys). */
  revoke(leaseId: number): WriteResult {
    return this.inWrite(() => this.removeLease(leaseId));
  }

  expiredLeases(now: number, limit: number): number[] {
    return this.stmt.expiredLeases.all(now, limit).map((row) => row.id);
  }

  /**
   * Removes a lease if it is still expired when this transaction looks (another process may have
   * swept it, or refreshed it, since the caller listed it): sweeping is idempotent across processes.
   */
  expireLease(leaseId: number, now: number): WriteResult {
    return this.inWrite(() => {
      const row = this.stmt.leaseExpiry.get(leaseId);
      if (row === undefined || row.expires_at > now) return { revision: undefined, deleted: 0 };
      return this.removeLease(leaseId);
    });
  }

  /** Drops log rows below `keepFrom`; a no-op when already compacted that far. */
  compact(keepFrom: number): void {
    this.inWrite(() => {
      const meta = this.meta();
      if (keepFrom > meta.revision) {
        throw new Error(`cannot compact to revision ${keepFrom}: the current revision is ${meta.revision}`);
      }
      const compacted = keepFrom - 1;
      if (compacted <= meta.compacted) return;
      this.stmt.trimLog.run(compacted);
      this.stmt.setCompacted.run(compacted);
    });
  }

  private rangeRows(bounds: KeyBounds): KvRow[] {
    return bounds.end === undefined
      ? this.stmt.rangeFrom.all(bounds.start)
      : this.stmt.rangeBetween.all(bounds.start, bounds.end);
  }

  private removeLease(leaseId: number): WriteResult {
    const scope = new WriteScope(this.revision());
    for (const row of this.stmt.byLease.all(leaseId)) this.deleteRow(scope, row);
    this.stmt.deleteLease.run(leaseId);
    this.finish(scope);
    return { revision: scope.revision, deleted: scope.deleted };
  }

  private applyOp(scope: WriteScope, op: TxnOp, now: number): void {
    switch (op.type) {
      case 'put':
        this.put(scope, op.key, op.value, op.lease ?? 0, now);
        return;
      case 'delete': {
        const row = this.stmt.get.get(op.key);
        if (row !== undefined) this.deleteRow(scope, row);
        return;
      }
      case 'deletePrefix':
        for (const row of this.rangeRows(prefixBounds(op.prefix))) this.deleteRow(scope, row);
        return;
    }
  }

  private put(scope: WriteScope, key: string, value: string, lease: number, now: number): void {
    if (lease !== 0 && !scope.liveLeases.has(lease)) {
      if (this.stmt.liveLease.get(lease, now) === undefined) throw new LeaseNotFoundError(lease);
      scope.liveLeases.add(lease);
    }
    const existing = this.stmt.get.get(key);
    const { revision, seq } = scope.nextEvent();
    if (existing === undefined) {
      this.stmt.insertKv.run(key, value, revision, revision, 1, lease);
    } else {
      // as in etcd, a put without a lease detaches the key from any lease it had
      this.stmt.updateKv.run(value, revision, existing.version + 1, lease, key);
    }
    this.stmt.insertLog.run(revision, seq, 'put', key, value, existing?.value ?? null);
  }

  private deleteRow(scope: WriteScope, row: KvRow): void {
    const { revision, seq } = scope.nextEvent();
    this.stmt.deleteKv.run(row.key);
    this.stmt.insertLog.run(revision, seq, 'delete', row.key, '', row.value);
    scope.deleted++;
  }

  private finish(scope: WriteScope): void {
    if (scope.revision !== undefined) this.stmt.setRevision.run(scope.revision);
  }
}

function toKeyValue(row: KvRow): KeyValue {
  return {
    key: row.key,
    value: row.value,
    createRevision: row.create_revision,
    modRevision: row.mod_revision,
    version: row.version,
    lease: row.lease,
  };
}
