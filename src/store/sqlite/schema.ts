/**
 * The on-disk layout of the SQLite store (the kine pattern: current state plus a revision log).
 *
 * - `meta`: one row; `revision` is the store's current revision, `compacted` the highest revision whose
 *   log rows have been removed (watches must start above it).
 * - `kv`: the current value of every key with its etcd-style revisions and lease.
 * - `log`: one row per event; all events of one write share a revision and are ordered by `seq`
 *   (a deletePrefix of N keys is one revision with N rows), so the key is (revision, seq).
 *   Watches read it; compaction trims it from the bottom.
 * - `leases`: TTL in seconds and the wall-clock deadline in ms. Every process that opens the file
 *   sweeps expired leases, so all of them must share a clock (they do: one host).
 */
export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  revision INTEGER NOT NULL,
  compacted INTEGER NOT NULL
);
INSERT OR IGNORE INTO meta (id, revision, compacted) VALUES (1, 0, 0);

CREATE TABLE IF NOT EXISTS kv (
  key TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL,
  create_revision INTEGER NOT NULL,
  mod_revision INTEGER NOT NULL,
  version INTEGER NOT NULL,
  lease INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kv_by_lease ON kv (lease) WHERE lease <> 0;

CREATE TABLE IF NOT EXISTS log (
  revision INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('put', 'delete')),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  prev_value TEXT,
  PRIMARY KEY (revision, seq)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS leases (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ttl INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS leases_by_expiry ON leases (expires_at);
`;
