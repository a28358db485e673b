/**
 * The backup file of `paz backup` / `paz restore` (pure): what is kept, how it is written, how a file is
 * checked before anything is restored from it.
 *
 * One JSON document per line, so a file of any size streams and `jq`/`grep` read it:
 *
 *   {"format":"paz-backup","version":1,"pazVersion":…,"createdAt":…,"revision":…,"store":"sqlite",
 *    "secretsKeyIds":["1a2b3c4d"],"counts":{…}}                                            ← header
 *   {"k":"/paz/directory/services/web","v":"{…}"}                                          ← one line per key
 *   …
 *   {"end":"paz-backup","keys":57,"sha256":"…"}                                             ← trailer
 *
 * Values are copied byte for byte as the store holds them: tokens stay hashed and every secret stays sealed
 * (secret-box.ts), so the file is only as sensitive as the store itself. `secretsKeyIds` names the keys that
 * sealed those values (the public 8-hex id every sealed value carries), read from the data itself so a
 * backup taken from a machine without the key still says which key a restore needs. The key itself is
 * never written: every copy of a backup that held it would be a copy of every secret.
 *
 * The trailer's count and SHA-256 over the key lines catch a file cut short or changed.
 */
import { createHash } from 'node:crypto';

export const BACKUP_FORMAT = 'paz-backup';
export const BACKUP_VERSION = 1;

/** Set during a restore and removed by its last write: a store that still holds it was restored halfway. */
export const RESTORE_MARKER_KEY = '/paz/restore-in-progress';

export interface BackupCounts {
  keys: number;
  services: number;
  /** config versions (deploy records) */
  versions: number;
  journal: number;
  desiredUnits: number;
  tokens: number;
  registryLogins: number;
}

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: number;
  pazVersion: string;
  /** ISO time the snapshot was read */
  createdAt: string;
  /** the source store's revision the snapshot was read at (every key is as it was then) */
  revision: number;
  store: 'sqlite' | 'etcd';
  /** ids of the secrets keys that sealed values in this backup (usually one; none when nothing is sealed) */
  secretsKeyIds: string[];
  counts: BackupCounts;
}

export interface BackupEntry {
  key: string;
  value: string;
}

export interface Backup {
  header: BackupHeader;
  entries: BackupEntry[];
}

/**
 * Keys a backup leaves out: the state of processes that are alive now, not of the cluster. Each is
 * written under its owner's lease, and the live owner writes it again; restored, it would claim that a
 * dead process still runs. Decided key by key from core/keys.ts:
 * - /paz/services/            components' addresses and instance endpoints (announcer's lease): restored,
 *                             routers would send traffic to instances that no longer exist;
 * - /paz/hosts/               host records (heartbeat lease): restored, a dead host would look alive and get units;
 * - /paz/routers/             routers' in-flight reports (agent lease);
 * - /paz/units/status/        what agents last reported of their units (agent lease): agents report again;
 * - /paz/elections/           leader keys: restored, a stale leader would be named and no replica could lead;
 * - /paz/scheduler/locks/     big-write locks of live writers; a pending write left without its lock
 *                             (/paz/scheduler/pending/, kept) is finished or undone by the next leader,
 *                             as after a crash (control/pending-writes-loop.ts);
 * - the restore marker.
 * Kept: service docs and their repository index, config versions (deploy records), rollout statuses,
 * serving and latest versions, digests, instance marks (numbers handed out), the journal (the audit trail), desired units with their placement
 * (a unit whose host never comes back is placed elsewhere after --host-loss-grace), known hosts (the
 * history that says a host is down, since when), tokens, registry logins, the webhook secret and config.
 * Any other key bound to a lease is left out too: a lease does not outlive its store.
 */
export const TRANSIENT_PREFIXES: readonly string[] = ['/paz/services/', '/paz/hosts/', '/paz/routers/', '/paz/units/status/', '/paz/elections/', '/paz/scheduler/locks/'];

export function isTransient(key: string, lease: number): boolean {
  return lease !== 0 || key === RESTORE_MARKER_KEY || TRANSIENT_PREFIXES.some((p) => key.startsWith(p));
}

/** Keys that show a live Paz process on a store: a leader or a heartbeating host. */
export function isLiveProcessKey(key: string): boolean {
  return key.startsWith('/paz/elections/') || key.startsWith('/paz/hosts/');
}

const SEALED = /paz:v1:([0-9a-f]{8}):/g;

/** The ids of the keys that sealed any value among `values`, sorted. */
export function sealedKeyIdsIn(values: Iterable<string>): string[] {
  const ids = new Set<string>();
  for (const v of values) for (const m of v.matchAll(SEALED)) ids.add(m[1]);
  return [...ids].sort();
}

export function countKinds(entries: readonly BackupEntry[]): BackupCounts {
  const under = (prefix: string) => entries.filter((e) => e.key.startsWith(prefix)).length;
  return {
    keys: entries.length,
    services: under('/paz/directory/services/'),
    versions: under('/paz/scheduler/deploys/'),
    journal: under('/paz/scheduler/journal/'),
    desiredUnits: under('/paz/units/desired/'),
    tokens: under('/paz/auth/tokens/'),
    registryLogins: under('/paz/registries/'),
  };
}

export interface BackupSource {
  pazVersion: string;
  createdAt: Date;
  revision: number;
  store: 'sqlite' | 'etcd';
  /** every key under /paz/ with its lease, as read at `revision` */
  kvs: ReadonlyArray<{ key: string; value: string; lease: number }>;
}

/** What a backup of `source` holds: its lasting keys, in key order, and the header that describes them. */
export function makeBackup(source: BackupSource): Backup {
  const entries = source.kvs.filter((kv) => !isTransient(kv.key, kv.lease)).map((kv) => ({ key: kv.key, value: kv.value }));
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    header: {
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      pazVersion: source.pazVersion,
      createdAt: source.createdAt.toISOString(),
      revision: source.revision,
      store: source.store,
      secretsKeyIds: sealedKeyIdsIn(entries.map((e) => e.value)),
      counts: countKinds(entries),
    },
    entries,
  };
}

/** The file's text: header line, one line per key, trailer line. */
export function formatBackup(backup: Backup): string {
  const lines = backup.entries.map((e) => `${JSON.stringify({ k: e.key, v: e.value })}\n`);
  const hash = createHash('sha256');
  for (const l of lines) hash.update(l);
  const trailer = { end: BACKUP_FORMAT, keys: lines.length, sha256: hash.digest('hex') };
  return `${JSON.stringify(backup.header)}\n${lines.join('')}${JSON.stringify(trailer)}\n`;
}

/** A file that is not a backup Paz can restore; the message says what is wrong and what to do. */
export class BackupFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupFileError';
  }
}

const AGAIN = 'take the backup again (paz backup FILE) or use an intact copy';

/** Parses and checks a whole backup file; throws BackupFileError before anything could be restored from a bad one. */
export function parseBackup(text: string): Backup {
  if (text.trim() === '') throw new BackupFileError(`the file is empty: it is not a paz backup; ${AGAIN}`);
  const lines = text.split('\n');
  let header: unknown;
  try {
    header = JSON.parse(lines[0]);
  } catch {
    throw new BackupFileError(`the first line is not a paz backup header (a paz backup starts with {"format":"paz-backup",…}); is this the right file?`);
  }
  checkHeader(header);
  const h = header as BackupHeader;
  // a complete file ends with a line break after the trailer
  const body = lines.slice(1);
  if (body[body.length - 1] !== '') throw truncated(h, body.length - 1);
  body.pop();
  const last = body.length > 0 ? tryJson(body[body.length - 1]) : undefined;
  if (!isTrailer(last)) throw truncated(h, body.length);
  const keyLines = body.slice(0, -1);
  const hash = createHash('sha256');
  const entries: BackupEntry[] = [];
  const seen = new Set<string>();
  keyLines.forEach((line, i) => {
    hash.update(`${line}\n`);
    const o = tryJson(line) as { k?: unknown; v?: unknown } | undefined;
    if (typeof o !== 'object' || o === null || typeof o.k !== 'string' || typeof o.v !== 'string') {
      throw new BackupFileError(`line ${i + 2} is not a key line {"k":…,"v":…}: the file was changed or damaged; ${AGAIN}`);
    }
    if (!o.k.startsWith('/paz/') || isTransient(o.k, 0)) {
      throw new BackupFileError(`line ${i + 2} holds ${JSON.stringify(o.k)}, a key no paz backup holds: the file was changed; ${AGAIN}`);
    }
    if (seen.has(o.k)) throw new BackupFileError(`line ${i + 2} repeats the key ${o.k}: the file was changed; ${AGAIN}`);
    seen.add(o.k);
    entries.push({ key: o.k, value: o.v });
  });
  if (last.keys !== entries.length || last.keys !== h.counts.keys) {
    throw new BackupFileError(`the file holds ${entries.length} keys but says ${h.counts.keys}: the file was changed or damaged; ${AGAIN}`);
  }
  if (hash.digest('hex') !== last.sha256) throw new BackupFileError(`the file's checksum does not match its contents: the file was changed or damaged; ${AGAIN}`);
  return { header: h, entries };
}

function tryJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function isTrailer(o: unknown): o is { end: string; keys: number; sha256: string } {
  const t = o as { end?: unknown; keys?: unknown; sha256?: unknown } | undefined;
  return typeof t === 'object' && t !== null && t.end === BACKUP_FORMAT && typeof t.keys === 'number' && typeof t.sha256 === 'string';
}

function truncated(h: BackupHeader, linesAfterHeader: number): BackupFileError {
  return new BackupFileError(
    `the file ends early (${Math.max(0, linesAfterHeader)} lines after the header, the backup has ${h.counts.keys} keys and an end line): it was cut short, e.g. a full disk or an interrupted copy; ${AGAIN}`,
  );
}

function checkHeader(o: unknown): void {
  const h = o as Partial<BackupHeader> | undefined;
  if (typeof h !== 'object' || h === null || h.format !== BACKUP_FORMAT) {
    throw new BackupFileError(`the first line is not a paz backup header (a paz backup starts with {"format":"paz-backup",…}); is this the right file?`);
  }
  if (typeof h.version !== 'number' || !Number.isInteger(h.version) || h.version < 1) {
    throw new BackupFileError(`the header's version ${JSON.stringify(h.version)} is not a backup format version: the file was changed; ${AGAIN}`);
  }
  if (h.version > BACKUP_VERSION) {
    throw new BackupFileError(
      `this backup is format version ${h.version}, written by paz ${String(h.pazVersion)}; this paz reads version ${BACKUP_VERSION} and older: restore it with paz ${String(h.pazVersion)} or newer`,
    );
  }
  const okCounts = typeof h.counts === 'object' && h.counts !== null && typeof (h.counts as BackupCounts).keys === 'number';
  if (!okCounts || !Array.isArray(h.secretsKeyIds) || !h.secretsKeyIds.every((id) => typeof id === 'string') || typeof h.revision !== 'number') {
    throw new BackupFileError(`the header lacks counts, revision or secretsKeyIds: the file was changed or damaged; ${AGAIN}`);
  }
}

/**
 * Why the secrets key a restored cluster would use cannot open the backup's sealed values, or undefined
 * when it can. `target` is that key's id (undefined: the target has none yet) and where it comes from.
 */
export function secretsKeyProblem(needed: readonly string[], target: { id: string | undefined; from: 'env' | string }): string | undefined {
  if (needed.length === 0) return undefined;
  if (needed.length > 1) {
    return `the backup holds secrets sealed with ${needed.length} different keys (${needed.join(', ')}): one cluster opens them with one key, so some would never open; re-seal them on the source first (paz secret set, paz registry login, paz webhook secret --rotate)`;
  }
  const fix =
    target.from === 'env'
      ? "set PAZ_SECRETS_KEY to the source's key (the contents of its secrets.key), or unset it and give the key with --secrets-key FILE"
      : `copy the source's secrets.key (in its data dir) to ${target.from}, or give it with --secrets-key FILE`;
  if (target.id === undefined) return `the backup's secrets were sealed with key ${needed[0]} and the target has no secrets key: ${fix}`;
  if (target.id !== needed[0]) return `the backup's secrets were sealed with key ${needed[0]} but the target's secrets key${target.from === 'env' ? ' (PAZ_SECRETS_KEY)' : ''} is ${target.id}: the restored cluster could not open them; ${fix}`;
  return undefined;
}
