/**
 * `paz backup FILE` and `paz restore FILE`: the whole state of a cluster to a file and back, from and to
 * either store (so also how a single-host install moves from SQLite to etcd). They open the store directly,
 * as `paz kv` does (--store, PAZ_STORE, or the data dir's SQLite file). What a backup holds and leaves out:
 * core/backup-format.ts; how it is read and written: state/backup.ts.
 */
import { closeSync, existsSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { syncDirectory } from '../fs/atomic-file.js';
import { dirname, join, resolve } from 'node:path';
import { fileErrorWords } from '../core/file-errors.js';
import { BackupFileError, formatBackup, parseBackup, secretsKeyProblem, type Backup, type BackupCounts } from '../core/backup-format.js';
import { PazClient } from '../client/paz-client.js';
import { parseSecretKey, type SecretKey } from '../core/secret-box.js';
import { openCheckedStore } from '../roles/open-store.js';
import { runningRole } from '../roles/pid-file.js';
import { makePrivateDataDir } from '../roles/data-dir.js';
import { SECRETS_KEY_FILE } from '../roles/secrets-key.js';
import { restoreBackup, takeBackup } from '../state/backup.js';
import { parseStoreUrl, redactStoreUrl } from '../store/index.js';
import { PAZ_VERSION } from '../version.js';
import { parse, roleConfig, storeTlsOf } from './options.js';
import { UsageError } from './usage-error.js';
import { print } from './print.js';

const storeOptions = {
  store: { type: 'string' },
  'store-ca': { type: 'string' },
  'store-cert': { type: 'string' },
  'store-key': { type: 'string' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const where = `The store: --store URL (PAZ_STORE; sqlite:/path/paz.db or etcd://host:2379[,host2:2379], with
--store-ca/--store-cert/--store-key for etcd over TLS), else the SQLite file of --data-dir (PAZ_DATA_DIR, ~/.paz).`;

export const backupUsage = `usage: paz backup FILE [--store URL | --data-dir DIR | --url URL] [--force]
Writes the whole state of the cluster to FILE (- for standard output), read at one store revision while
the cluster runs: services, config versions, deploy records and rollout statuses, desired units, the
journal, tokens (hashed, as stored), registry logins and the webhook secret. Secrets stay sealed, and the
secrets key is NOT in the file: keep a copy of DATA_DIR/secrets.key apart from your backups; a restore
needs it. Left out: what live processes announce again (hosts' heartbeats, endpoints, unit statuses,
leader keys, locks). The file is written to FILE.tmp, synced, then renamed, with mode 0600.
An existing FILE is never overwritten (it may be the backup you meant to restore) unless --force is given;
with it FILE is replaced whole, and stays as it was if the backup fails.
  --force             replace FILE if it exists
${where}
--url URL (the orchestrator, e.g. https://paz.example.com:9000) asks a running server instead
(GET /cluster/backup, admin): it sends --token (PAZ_TOKEN), else --profile's token, else DATA_DIR/admin-token.
examples:
  paz backup /var/backups/paz-$(date +%F).jsonl
  paz backup - --store etcd://10.0.0.5:2379 | gzip > paz.jsonl.gz
  PAZ_TOKEN=... paz backup paz.jsonl --url https://paz.example.com:9000`;

export const restoreUsage = `usage: paz restore FILE [--store URL | --data-dir DIR] [--secrets-key FILE] [--force]
Writes a backup made by paz backup into a store with no Paz state (FILE - reads standard input). Offline:
stop every paz server, agent and paz up on the target store first, then start them on it; the control
plane then converges to the backup's running set (units of hosts that do not come back are placed
elsewhere after --host-loss-grace).
The backup's secrets were sealed with one secrets key; the restored cluster must have it, or they never
open. The key is PAZ_SECRETS_KEY, else DATA_DIR/secrets.key: restore refuses when that is another key.
  --secrets-key FILE  the source's secrets.key; copied to DATA_DIR/secrets.key (0600) when that is missing
  --force             remove the target's Paz state first (it is lost); also redoes a restore that stopped halfway
${where}
examples:
  paz restore paz-2026-11-29.jsonl --data-dir /var/lib/paz
  paz restore paz.jsonl --store etcd://10.0.0.5:2379 --secrets-key /safe/secrets.key`;

function countsText(c: BackupCounts): string {
  const n = (v: number, one: string, many = `${one}s`) => `${v} ${v === 1 ? one : many}`;
  return [n(c.services, 'service'), n(c.versions, 'config version'), n(c.desiredUnits, 'desired unit'), n(c.journal, 'journal entry', 'journal entries'), n(c.tokens, 'token'), n(c.registryLogins, 'registry login')].join(', ');
}

export async function backupCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...storeOptions, url: { type: 'string' }, token: { type: 'string' }, profile: { type: 'string' }, force: { type: 'boolean' } }, true);
  if (values.help) return console.log(backupUsage), 0;
  const file = oneFile(positionals, 'backup');
  if (values.url === undefined && (values.token !== undefined || values.profile !== undefined)) throw new UsageError('--token and --profile are for a backup through a server: give its --url too (without it, paz backup reads the store)');
  if (values.url !== undefined && values.store !== undefined) throw new UsageError('--url asks a running server, --store reads a store: give one of them');
  // said before the store is read: a backup that cannot be kept is not worth taking
  if (file !== '-') checkBackupTarget(file, values.force === true);
  const { text, backup, from } = values.url !== undefined ? await backupFromApi(values.url, values) : await backupFromStore(values);
  const h = backup.header;
  const sealed = h.secretsKeyIds.length > 0 ? `; secrets sealed with key ${h.secretsKeyIds.join(', ')}: a restore needs that secrets.key` : '';
  const summary = `backed up ${h.counts.keys} keys of ${from} at revision ${h.revision} (${countsText(h.counts)})${sealed}`;
  if (file === '-') {
    process.stdout.write(text);
    console.error(summary);
  } else {
    writeFileDurably(resolve(file), text, { replace: values.force === true });
    print(`${summary} to ${file}`);
  }
  return 0;
}

async function backupFromStore(values: Record<string, string | boolean | undefined>): Promise<{ text: string; backup: Backup; from: string }> {
  // read-only: a SQLite backup beside a busy server must not wait for (or take) the write lock
  const store = await openCheckedStore(roleConfig(values).storeUrl, storeTlsOf(values), { readOnly: true });
  try {
    const backup = await takeBackup(store, PAZ_VERSION);
    return { text: formatBackup(backup), backup, from: redactStoreUrl(store.name) };
  } finally {
    await store.close();
  }
}

async function backupFromApi(url: string, values: Record<string, string | boolean | undefined>): Promise<{ text: string; backup: Backup; from: string }> {
  const client = new PazClient({ url, token: values.token as string | undefined, profile: values.profile as string | undefined, dataDir: values['data-dir'] as string | undefined, timeoutMs: 600_000 });
  const res = await client.raw('GET', `${client.url}/cluster/backup`);
  if (res.status !== 200) {
    let message = res.text;
    try {
      message = (JSON.parse(res.text) as { message?: string }).message ?? res.text;
    } catch {
      /* not the JSON error shape */
    }
    throw new Error(`${client.url}/cluster/backup answered ${res.status}: ${message}${client.authHint(res.status)}`);
  }
  try {
    // checked here too: a file cut short on the way is refused now, not at the restore that needs it
    return { text: res.text, backup: parseBackup(res.text), from: client.url };
  } catch (err) {
    if (err instanceof BackupFileError) throw new Error(`${client.url}/cluster/backup: ${err.message}`);
    throw err;
  }
}

export async function restoreCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...storeOptions, force: { type: 'boolean' }, 'secrets-key': { type: 'string' } }, true);
  if (values.help) return console.log(restoreUsage), 0;
  const file = oneFile(positionals, 'restore');
  const cfg = roleConfig(values);
  const backup = readBackup(file);

  const running = runningRole(cfg.dataDir);
  if (running) throw new Error(`paz ${running.role} (pid ${running.pid}) runs on data dir ${cfg.dataDir}: a restore is offline; stop it first (paz down --data-dir ${cfg.dataDir})`);

  const keyFile = join(cfg.dataDir, SECRETS_KEY_FILE);
  const given = values['secrets-key'] === undefined ? undefined : readKey(values['secrets-key'], '--secrets-key');
  const existing = process.env.PAZ_SECRETS_KEY ? readKeyText(process.env.PAZ_SECRETS_KEY, 'PAZ_SECRETS_KEY') : existsSync(keyFile) ? readKey(keyFile, keyFile) : undefined;
  const problem = secretsKeyProblem(backup.header.secretsKeyIds, { id: (existing ?? given)?.id, from: process.env.PAZ_SECRETS_KEY ? 'env' : keyFile });
  if (problem) throw new Error(`${file}: ${problem}`);

  const location = parseStoreUrl(cfg.storeUrl);
  if (location.kind === 'sqlite') {
    // the data dir's own file: made private as a role would make it; another path: its directory must exist
    if (resolve(dirname(location.path)) === cfg.dataDir) makePrivateDataDir(cfg.dataDir);
    else if (!existsSync(dirname(resolve(location.path)))) throw new Error(`--store ${cfg.storeUrl}: the directory ${dirname(location.path)} does not exist`);
  }
  const store = await openCheckedStore(cfg.storeUrl, storeTlsOf(values));
  let result;
  try {
    result = await restoreBackup(store, backup, { force: values.force, source: file });
  } finally {
    await store.close();
  }
  let keyNote = '';
  if (given && !existing) {
    makePrivateDataDir(cfg.dataDir);
    writeFileDurably(keyFile, `${readFileSync(resolve(values['secrets-key']!), 'utf8').trim()}\n`);
    keyNote = `; the secrets key is now ${keyFile}`;
  }
  const h = backup.header;
  console.log(
    `restored ${result.keys} keys into ${redactStoreUrl(cfg.storeUrl)} (${countsText(h.counts)}) from ${file}, a backup of ${h.store} revision ${h.revision} taken ${h.createdAt}` +
      `${result.removed > 0 ? `, after removing ${result.removed} keys (--force)` : ''}${keyNote}`,
  );
  if (result.resumedUnits.length > 0) {
    // a deploy was under way at backup time: its new units get their whole healthy deadline again from now
    print(`${result.resumedUnits.length} unit(s) of a deploy under way at backup time start afresh: ${result.resumedUnits.join(', ')}`);
  }
  print(`next: start the control plane and agents on it, e.g. paz server --store ${redactStoreUrl(cfg.storeUrl)} --data-dir ${cfg.dataDir}`);
  return 0;
}

/** Where a backup goes: not a directory, not an existing file unless --force (exit 1 otherwise, in CLI terms). */
function checkBackupTarget(file: string, force: boolean): void {
  let stat;
  try {
    stat = statSync(resolve(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return; // the usual case; a missing directory is said when writing
    throw new Error(`cannot write the backup to ${file}: ${fileErrorWords(err)}`);
  }
  if (stat.isDirectory()) throw new Error(`${file} is a directory: give the backup a file name, e.g. ${join(file, `paz-${new Date().toISOString().slice(0, 10)}.jsonl`)}`);
  if (!force) throw new Error(`${file} already exists (a backup you may still need?): paz backup does not overwrite it; give another FILE, or --force to replace it`);
}

function oneFile(positionals: string[], verb: string): string {
  if (positionals.length === 0) throw new UsageError(`paz ${verb} needs a FILE (- for standard ${verb === 'backup' ? 'output' : 'input'})`);
  if (positionals.length > 1) throw new UsageError(`paz ${verb} takes one FILE, got ${positionals.length}: ${positionals.join(' ')}`);
  return positionals[0];
}

function readBackup(file: string) {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file === '-' ? 0 : resolve(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a backup file' : `cannot read it: ${fileErrorWords(err)}`}`);
  }
  // `paz backup - | gzip > FILE` is the documented way to compress one
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new Error(file === '-' ? 'standard input is gzip-compressed: put gunzip -c before paz restore - in the pipe' : `${file} is gzip-compressed: restore it with gunzip -c ${file} | paz restore - (and the same flags)`);
  }
  try {
    return parseBackup(bytes.toString('utf8'));
  } catch (err) {
    if (err instanceof BackupFileError) throw new Error(`${file}: ${err.message}`);
    throw err;
  }
}

function readKey(file: string, label: string): SecretKey {
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (err) {
    throw new Error(`${label}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? `no such file ${file}` : `cannot read ${file}: ${fileErrorWords(err)}`}`);
  }
  return readKeyText(text, label);
}

function readKeyText(text: string, label: string): SecretKey {
  try {
    return parseSecretKey(text);
  } catch (err) {
    throw new Error(`${label}: ${(err as Error).message}`);
  }
}

/** `tmp` becomes `file` unless `file` exists (EEXIST then): a hard link where the file system has them. */
function placeWithoutReplacing(tmp: string, file: string): void {
  try {
    linkSync(tmp, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // no hard links here (some network and FUSE file systems): checked, then renamed
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
    if (existsSync(file)) throw Object.assign(new Error(`${file} exists`), { code: 'EEXIST' });
    renameSync(tmp, file);
    return;
  }
  rmSync(tmp);
}

/**
 * FILE.tmp (0600), fsync, then into place, fsync the directory: FILE is the old one or the whole new one.
 * Into place: renamed over FILE with `replace`; otherwise linked, which fails if FILE appeared meanwhile
 * (nothing is overwritten that the caller did not allow).
 */
function writeFileDurably(file: string, text: string, { replace = true }: { replace?: boolean } = {}): void {
  const tmp = `${file}.tmp`;
  let fd: number | undefined;
  try {
    rmSync(tmp, { force: true });
    fd = openSync(tmp, 'wx', 0o600);
    const bytes = Buffer.from(text, 'utf8');
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    if (replace) renameSync(tmp, file);
    else placeWithoutReplacing(tmp, file);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new Error(`${file} appeared while the backup was written: it was left as it is; give another FILE, or --force to replace it`);
    throw new Error(`could not write ${file}: ${code === 'ENOENT' ? `the directory ${dirname(file)} does not exist` : fileErrorWords(err)}`);
  }
  syncDirectory(dirname(file));
}
