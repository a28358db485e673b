/**
 * The store's front door: `openStore(url)` picks the backend from the URL the operator gave
 * (`--store`), so roles never name a backend themselves.
 *
 *   sqlite:/var/lib/paz/store.db, sqlite:///var/lib/paz/store.db, or a plain path  -> SqliteStore
 *   sqlite::memory:                                                                  -> a private in-memory SqliteStore
 *   etcd://host:2379,host2:2379                                                      -> EtcdStore (members of one cluster)
 *   etcd://user:password@host:2379,host2:2379                                        -> with etcd's own auth (password URL-encoded)
 *   etcds://host:2379, or etcd:// with --store-ca/--store-cert/--store-key             -> over TLS (client certificates)
 *   etcd://host:2379?max-txn-ops=64&max-request-bytes=1048576                        -> a cluster run with lower limits than
 *     etcd's defaults (128 ops, 1.5 MiB), as given to its own flags of those names: Paz writes within them
 */
import { readFileSync } from 'node:fs';
import { SqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

export * from './store.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.js';

export interface StoreCredentials {
  username: string;
  password: string;
}

/** An etcd cluster's --max-txn-ops and --max-request-bytes, when not etcd's defaults. */
export interface EtcdLimitFlags {
  maxTxnOps?: number;
  maxRequestBytes?: number;
}

export type StoreLocation =
  | { kind: 'sqlite'; path: string }
  | { kind: 'etcd'; endpoints: string[]; tls: boolean; auth?: StoreCredentials; limits?: EtcdLimitFlags };

/**
 * The least Paz can work within: some records go together in one txn whatever the size of the cluster (a
 * deploy's commit: its record, the latest version, a journal entry, the pending-write marker, the leader's
 * fence), and one unit's or config's value must fit a txn.
 */
export const MIN_ETCD_TXN_OPS = 16;
export const MIN_ETCD_REQUEST_BYTES = 64 * 1024;
const LIMIT_PARAMS = { 'max-txn-ops': { field: 'maxTxnOps', min: MIN_ETCD_TXN_OPS }, 'max-request-bytes': { field: 'maxRequestBytes', min: MIN_ETCD_REQUEST_BYTES } } as const;

/** PEM files for TLS to etcd: the CA that signed etcd's certificate, and this client's certificate and key. */
export interface StoreTlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

/** The URL with its password replaced, for messages and logs: etcd://root:***@h1:2379. */
export function redactStoreUrl(url: string): string {
  return url.replace(/^(\s*etcds?:\/\/[^:@/]*):[^@]*@/i, '$1:***@');
}

/** Pure parsing of a store URL; throws with a message that says which forms are accepted (never the password). */
export function parseStoreUrl(url: string): StoreLocation {
  const trimmed = url.trim();
  const shown = redactStoreUrl(trimmed);
  if (trimmed === '') throw new Error(`empty store URL; use sqlite:/path/to/store.db or etcd://host:2379`);
  const etcd = /^(etcds?):\/\//i.exec(trimmed);
  if (etcd !== null) {
    let rest = trimmed.slice(etcd[0].length);
    let auth: StoreCredentials | undefined;
    // the last @: a password may hold an @ its writer forgot to encode; host names never do
    const at = rest.lastIndexOf('@');
    if (at !== -1) {
      auth = credentialsOf(rest.slice(0, at), shown);
      rest = rest.slice(at + 1);
    }
    // the settings after the hosts (after the password, which may hold a ? its writer forgot to encode)
    let limits: EtcdLimitFlags | undefined;
    const query = rest.indexOf('?');
    if (query !== -1) {
      limits = limitsOf(rest.slice(query + 1), shown);
      rest = rest.slice(0, query);
    }
    const endpoints = rest.split(',').map((e) => e.trim()).filter((e) => e !== '');
    if (endpoints.length === 0) throw new Error(`store URL ${shown} names no etcd endpoint; use ${etcd[1].toLowerCase()}://host:2379[,host2:2379]`);
    return { kind: 'etcd', endpoints, tls: etcd[1].toLowerCase() === 'etcds', ...(auth ? { auth } : {}), ...(limits ? { limits } : {}) };
  }
  if (/^sqlite:/i.test(trimmed)) {
    // sqlite:///abs/path (URL style) and sqlite:/abs/path both mean /abs/path
    const path = trimmed.slice('sqlite:'.length).replace(/^\/\//, '');
    if (path === '') throw new Error(`store URL ${url} has no file path; use sqlite:/path/to/store.db`);
    return { kind: 'sqlite', path };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed);
  if (scheme !== null) {
    throw new Error(`unknown store URL scheme "${scheme[1]}:" in ${shown}; use sqlite:/path/to/store.db or etcd://host:2379`);
  }
  return { kind: 'sqlite', path: trimmed };
}

/** `max-txn-ops=N&max-request-bytes=N` of an etcd URL: whole numbers, at least what Paz needs. */
function limitsOf(query: string, shown: string): EtcdLimitFlags {
  const limits: EtcdLimitFlags = {};
  const accepted = Object.keys(LIMIT_PARAMS).join(' and ');
  for (const [name, raw] of new URLSearchParams(query)) {
    const param = LIMIT_PARAMS[name as keyof typeof LIMIT_PARAMS];
    if (!param) throw new Error(`store URL ${shown}: unknown setting "${name}"; an etcd URL takes ${accepted} (etcd's own flags of those names)`);
    const n = /^\d{1,12}$/.test(raw) ? Number(raw) : NaN;
    if (!(n >= param.min)) throw new Error(`store URL ${shown}: ${name} must be a whole number of at least ${param.min}, not "${raw}"`);
    limits[param.field] = n;
  }
  return limits;
}

/** `user:password` of an etcd URL, both URL-decoded. */
function credentialsOf(userinfo: string, shown: string): StoreCredentials {
  const colon = userinfo.indexOf(':');
  if (colon === -1) throw new Error(`store URL ${shown} names a user but no password; use etcd://user:password@host:2379 (password URL-encoded)`);
  const decode = (part: string, what: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw new Error(`the ${what} in store URL ${shown} is not URL-encoded correctly: write % as %25, @ as %40, : as %3A`);
    }
  };
  const username = decode(userinfo.slice(0, colon), 'user name');
  const password = decode(userinfo.slice(colon + 1), 'password');
  if (username === '') throw new Error(`store URL ${shown} has an empty user name; use etcd://user:password@host:2379`);
  return { username, password };
}

export interface OpenStoreOptions {
  sqlite?: SqliteStoreOptions;
  /** etcd over TLS with these files (implied by etcds://) */
  tls?: StoreTlsFiles;
}

export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const location = parseStoreUrl(url);
  switch (location.kind) {
    case 'sqlite':
      if (hasTlsFiles(options.tls)) throw new Error('--store-ca, --store-cert and --store-key are for an etcd store; this store is a SQLite file');
      return new SqliteStore(location.path, options.sqlite);
    case 'etcd': {
      const tls = location.tls || hasTlsFiles(options.tls) ? readTlsFiles(options.tls ?? {}) : undefined;
      // loaded on demand: gRPC and etcd's protos cost SQLite-only processes ~80 ms and ~20 MB at start
      const { EtcdStore, limitsForEtcdFlags } = await import('./etcd/etcd-store.js');
      // connects lazily: an unreachable cluster fails the first call, not the open
      return new EtcdStore(location.endpoints, { auth: location.auth, tls, ...(location.limits ? { limits: limitsForEtcdFlags(location.limits) } : {}) });
    }
  }
}

function hasTlsFiles(files: StoreTlsFiles | undefined): boolean {
  return files !== undefined && [files.ca, files.cert, files.key].some((f) => f !== undefined && f !== '');
}

/** Reads the PEM files; a certificate without its key (or the other way round) is refused. */
function readTlsFiles(files: StoreTlsFiles): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const given = (f: string | undefined) => f !== undefined && f !== '';
  if (given(files.cert) !== given(files.key)) throw new Error('--store-cert and --store-key (PAZ_STORE_CERT, PAZ_STORE_KEY) go together: give both or neither');
  const read = (file: string | undefined, flag: string) => {
    if (!given(file)) return undefined;
    try {
      return readFileSync(file!);
    } catch (err) {
      throw new Error(`${flag} ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
  };
  return { ca: read(files.ca, '--store-ca'), cert: read(files.cert, '--store-cert'), key: read(files.key, '--store-key') };
}
