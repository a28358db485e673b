// Issue 11, backup and restore: `paz backup FILE` and `paz restore FILE` on real stores. A round trip on SQLite
// with every kind of record (services with several versions, deploy records, journal, tokens, a registry login,
// the webhook secret, secret env values): the file holds no secret in the clear, a restored token still
// authenticates and the secrets open with the same key. Then what restore refuses, and why a backup taken
// under writes is one revision (SQLite and etcd), and a restore into etcd in many txns.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PazProcess, assertStartRefused, request, runPaz } from './helpers/paz-server.js';
import { freePort, tmpDir } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';
import { ok, refused } from './helpers/cli-result.js';
import Database from 'better-sqlite3';
import { openStore, SqliteStore, type Store } from '../src/store/index.js';
import { EtcdMember, findEtcdBinary } from '../src/store/etcd/local-etcd.js';
import { keys } from '../src/core/keys.js';
import { open, parseSecretKey, formatSecretKey, newSecretKey } from '../src/core/secret-box.js';
import { envSecretContext } from '../src/core/secret-env.js';
import { loginContext } from '../src/core/registry-auth.js';
import { BACKUP_VERSION, formatBackup, parseBackup, RESTORE_MARKER_KEY } from '../src/core/backup-format.js';


// the CLI runs in this file's environment: a key, data dir or store of the developer's shell would change what it does
for (const name of ['PAZ_SECRETS_KEY', 'PAZ_DATA_DIR', 'PAZ_STORE', 'PAZ_URL', 'PAZ_TOKEN']) delete process.env[name];

const paz = (args: string[], env: Record<string, string> = {}) => runPaz(args, '', env);

/** Resolves once the store's revision (x-paz-revision of a read) has not moved for 1.5 s. */
async function settled(orchestrator: string, headers: Record<string, string>): Promise<void> {
  const revision = async () => (await request('GET', `${orchestrator}/cluster/units`, undefined, headers)).headers.get('x-paz-revision');
  let last = await revision();
  await waitFor('the control plane to settle', async () => {
    await new Promise((r) => setTimeout(r, 1500));
    const now = await revision();
    const still = now === last;
    last = now;
    return still;
  }, 30_000, 0);
}


const plainSecret = `db-pass-${process.pid}-${Date.now()}`;
const registryPassword = `reg-pass-${process.pid}-${Date.now()}`;
const echo = `require('node:http').createServer((q, s) => s.end('hi')).listen(Number(process.env.PORT), '127.0.0.1')`;

describe('paz backup and paz restore on SQLite', () => {
  const dir = tmpDir('paz-backup-');
  const file = join(dir, 'paz.backup');
  const a = new PazProcess({ auth: true, dataDir: join(dir, 'a') });
  let b: PazProcess | undefined;
  let deployerToken = '';
  let webhookSecret = '';
  /** what A answered before the backup, to compare with what B answers after the restore */
  const answers: Record<string, unknown> = {};
  const reads = (p: PazProcess) => ({
    services: `${p.orchestrator}/services`,
    webHistory: `${p.orchestrator}/services/web/config/history`,
    apiHistory: `${p.orchestrator}/services/api/config/history`,
    journal: `${p.scheduler}/journal`,
    tokens: `${p.orchestrator}/auth/tokens`,
    registries: `${p.orchestrator}/registries`,
    units: `${p.orchestrator}/cluster/units`,
  });

  before(async () => {
    await a.start();
    const h = a.authHeaders();
    const post = async (url: string, body: unknown, status = 201) => {
      const r = await request('POST', url, body, h);
      assert.equal(r.status, status, `${url}: ${JSON.stringify(r.body)}`);
      return r.body;
    };
    // web: two versions, a secret env value, one instance (no agent: its unit stays unplaced, a desired unit)
    await post(`${a.orchestrator}/services`, { name: 'web', dockerRepository: 'local/web', command: [process.execPath, '-e', echo], ports: [{ container: 9000 }], numInstances: 1, env: { DB_PASSWORD: { secret: plainSecret }, MODE: 'one' } });
    await post(`${a.orchestrator}/services/web/deploy`, {});
    assert.equal((await request('PATCH', `${a.orchestrator}/services/web/config/next`, { env: { DB_PASSWORD: { secret: plainSecret }, MODE: 'two' } }, h)).status, 200);
    await post(`${a.orchestrator}/services/web/deploy`, {});
    // api: three versions of nothing running
    await post(`${a.orchestrator}/services`, { name: 'api', dockerRepository: 'local/api', numInstances: 0 });
    for (let i = 0; i < 3; i++) await post(`${a.orchestrator}/services/api/deploy`, {});
    deployerToken = ((await post(`${a.orchestrator}/auth/tokens`, { name: 'ci', role: 'deployer' })) as { token: string }).token;
    assert.equal((await request('PUT', `${a.orchestrator}/registries/reg.example.com`, { username: 'bot', password: registryPassword }, h)).status, 200);
    webhookSecret = (await request('GET', `${a.orchestrator}/auth/webhook-secret`, undefined, h)).body.doc.secret;
    assert.ok(webhookSecret);
    // the control plane finishes what the writes started (api's deploys succeed, web's unit is found no host)
    // before anything is compared: a backup and the answers must show the same, settled state
    await settled(a.orchestrator, h);
    for (const [name, url] of Object.entries(reads(a))) {
      const r = await request('GET', url, undefined, h);
      assert.equal(r.status, 200, `${url}: ${JSON.stringify(r.body)}`);
      answers[name] = r.body;
    }
  });

  after(async () => {
    await a.close();
    await b?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('backs up while the server runs: mode 0600, every kind of record, secrets sealed and no plain secret or token in it', async () => {
    const r = ok(await paz(['backup', file, '--data-dir', a.dataDir]), 'paz backup');
    assert.match(r.stdout, /backed up \d+ keys of sqlite:.* at revision \d+ \(2 services, 5 config versions, \d+ desired units?, \d+ journal entries, 2 tokens, 1 registry login\); secrets sealed with key [0-9a-f]{8}/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(existsSync(`${file}.tmp`), false);
    const text = readFileSync(file, 'utf8');
    const backup = parseBackup(text);
    const key = parseSecretKey(readFileSync(join(a.dataDir, 'secrets.key'), 'utf8'));
    assert.deepEqual(backup.header.secretsKeyIds, [key.id]);
    assert.ok(backup.header.counts.journal >= 5, 'every deploy is journalled');
    for (const plain of [plainSecret, registryPassword, webhookSecret, deployerToken, a.token, formatSecretKey(key)]) {
      assert.equal(text.includes(plain), false, 'no secret, token or key in the clear');
    }
    assert.match(text, new RegExp(`paz:v1:${key.id}:`));
    // what only live processes write is not in it: the server's announcements, its leader key
    for (const prefix of ['/paz/services/', '/paz/elections/', '/paz/hosts/']) assert.equal(backup.entries.some((e) => e.key.startsWith(prefix)), false, prefix);
  });

  it('backs up through the API with an admin token (GET /cluster/backup), and not with a deployer token', async () => {
    const viaApi = join(dir, 'api.backup');
    const r = ok(await paz(['backup', viaApi, '--url', a.orchestrator, '--data-dir', a.dataDir]), 'paz backup --url');
    assert.match(r.stdout, new RegExp(`backed up \\d+ keys of ${a.orchestrator.replace(/[.]/g, '\\.')} at revision \\d+`));
    assert.equal(statSync(viaApi).mode & 0o777, 0o600);
    assert.deepEqual(parseBackup(readFileSync(viaApi, 'utf8')).entries, parseBackup(readFileSync(file, 'utf8')).entries, 'the same state as read from the store');
    refused(await paz(['backup', join(dir, 'denied.backup'), '--url', a.orchestrator], { PAZ_TOKEN: deployerToken }), 1, /\/cluster\/backup answered 403: .*admin/);
    assert.equal(existsSync(join(dir, 'denied.backup')), false);
    refused(await paz(['backup', viaApi, '--url', a.orchestrator, '--store', 'sqlite:/x']), 2, /give one of them/);
    const plain = await fetch(`${a.orchestrator}/cluster/backup`, { headers: a.authHeaders() });
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get('content-type'), 'application/x-ndjson; charset=utf-8', 'JSON Lines, not one JSON document nor plain text');
    assert.match(plain.headers.get('content-disposition') ?? '', /attachment; filename="paz-backup-\d{4}-\d\d-\d\d-r\d+\.jsonl"/);
    assert.equal(plain.headers.get('x-paz-revision'), String(parseBackup(await plain.text()).header.revision));
  });

  it('refuses a restore onto a store a live server runs on, even with --force', async () => {
    refused(await paz(['restore', file, '--data-dir', a.dataDir, '--force']), 1, /a Paz server or agent is live on sqlite:.*a\/paz.db \(it holds \/paz\/elections\/control\): stop every paz server, agent and paz up on this store first/);
    assert.equal((await request('GET', `${a.orchestrator}/services`, undefined, a.authHeaders())).body.doc.length, 2, 'the live store was left alone');
  });

  it('restores into a new data dir: the same answers, tokens authenticate, secrets open with the same key', async () => {
    await a.stop();
    const target = join(dir, 'b');
    refused(await paz(['restore', file, '--data-dir', target]), 1, /sealed with key [0-9a-f]{8} and the target has no secrets key: copy the source's secrets.key .* to .*b\/secrets.key, or give it with --secrets-key FILE/);
    assert.equal(existsSync(join(target, 'paz.db')), false, 'a refused restore writes nothing');
    const r = ok(await paz(['restore', file, '--data-dir', target, '--secrets-key', join(a.dataDir, 'secrets.key')]), 'paz restore');
    assert.match(r.stdout, /restored \d+ keys into sqlite:.* \(2 services, 5 config versions/);
    assert.match(r.stdout, /the secrets key is now .*b\/secrets.key/);
    assert.equal(readFileSync(join(target, 'secrets.key'), 'utf8').trim(), readFileSync(join(a.dataDir, 'secrets.key'), 'utf8').trim());
    assert.equal(statSync(join(target, 'secrets.key')).mode & 0o777, 0o600);

    b = new PazProcess({ auth: true, dataDir: target });
    b.token = a.token; // the store has admin tokens, so B makes none: A's admin token must work on B
    await b.start();
    for (const [name, url] of Object.entries(reads(b))) {
      const got = await request('GET', url, undefined, b.authHeaders());
      assert.equal(got.status, 200, `${url} with A's admin token: ${JSON.stringify(got.body)}`);
      assert.deepEqual(got.body, answers[name], name);
    }
    // the deployer token made on A: authenticates on B, with its role
    assert.equal((await request('GET', `${b.orchestrator}/services`, undefined, { authorization: `Bearer ${deployerToken}` })).status, 200);
    assert.equal((await request('GET', `${b.orchestrator}/auth/tokens`, undefined, { authorization: `Bearer ${deployerToken}` })).status, 403);
    assert.equal((await request('GET', `${b.orchestrator}/services`, undefined, { authorization: 'Bearer paz_000000000000_nope' })).status, 401);
    // the server on B opens the webhook secret with the restored key
    assert.equal((await request('GET', `${b.orchestrator}/auth/webhook-secret`, undefined, b.authHeaders())).body.doc.secret, webhookSecret);
    // and the sealed values in B's store open with B's key
    const key = parseSecretKey(readFileSync(join(target, 'secrets.key'), 'utf8'));
    const store = new SqliteStore(join(target, 'paz.db'));
    try {
      const svc = JSON.parse((await store.get(keys.service('web')))!.value);
      assert.equal(open(key, svc.config.env.DB_PASSWORD.sealed, envSecretContext('web', 'DB_PASSWORD')), plainSecret);
      const v2 = JSON.parse((await store.get(keys.deploy('web', 2)))!.value);
      assert.ok(JSON.stringify(v2).includes('paz:v1:'), 'the deploy record keeps its sealed value');
      const login = JSON.parse((await store.get(keys.registryLogin('reg.example.com')))!.value);
      assert.equal(open(key, login.password, loginContext('reg.example.com')), registryPassword);
    } finally {
      await store.close();
    }
  });

  it('refuses a non-empty target, and --force replaces it', async () => {
    await b!.stop();
    refused(await paz(['restore', file, '--data-dir', b!.dataDir]), 1, /already holds Paz state \(\d+ keys under \/paz\/\): restore into an empty store, or give --force/);
    const r = ok(await paz(['restore', file, '--data-dir', b!.dataDir, '--force']), 'paz restore --force');
    assert.match(r.stdout, /after removing \d+ keys \(--force\)/);
  });

  it('a restore that stopped halfway: Paz refuses to start on it, and restore --force redoes it', async () => {
    const e = join(dir, 'e');
    mkdirSync(e, { mode: 0o700 });
    copyFileSync(join(a.dataDir, 'secrets.key'), join(e, 'secrets.key'));
    // what a restore killed after its first txn leaves: the marker and some of the keys
    const entries = parseBackup(readFileSync(file, 'utf8')).entries;
    const store = new SqliteStore(join(e, 'paz.db'));
    try {
      await store.txn({ compare: [], success: [{ type: 'put', key: RESTORE_MARKER_KEY, value: JSON.stringify({ source: file }) }, ...entries.slice(0, 5).map((x) => ({ type: 'put' as const, key: x.key, value: x.value }))] });
    } finally {
      await store.close();
    }
    await assertStartRefused({ dataDir: e }, /holds a restore that stopped halfway \(from .*paz.backup\): run paz restore FILE --force on it again, then start Paz/);
    refused(await paz(['restore', file, '--data-dir', e]), 1, /holds a restore that stopped halfway: run paz restore again with --force/);
    ok(await paz(['restore', file, '--data-dir', e, '--force']), 'paz restore --force');
    const after = new SqliteStore(join(e, 'paz.db'));
    try {
      assert.equal(await after.get(RESTORE_MARKER_KEY), undefined, 'the marker is gone once the restore is complete');
      assert.equal((await after.range('/paz/')).kvs.length, entries.length);
    } finally {
      await after.close();
    }
  });

  it('refuses a target whose secrets key is another, saying which and what to do', async () => {
    const c = join(dir, 'c');
    mkdirSync(c, { mode: 0o700 });
    writeFileSync(join(c, 'secrets.key'), `${formatSecretKey(newSecretKey())}\n`, { mode: 0o600 });
    const other = parseSecretKey(readFileSync(join(c, 'secrets.key'), 'utf8')).id;
    const needed = parseBackup(readFileSync(file, 'utf8')).header.secretsKeyIds[0];
    refused(await paz(['restore', file, '--data-dir', c]), 1, new RegExp(`sealed with key ${needed} but the target's secrets key is ${other}: the restored cluster could not open them; copy the source's secrets.key`));
    // --secrets-key does not overwrite a key the data dir has
    refused(await paz(['restore', file, '--data-dir', c, '--secrets-key', join(a.dataDir, 'secrets.key')]), 1, new RegExp(`target's secrets key is ${other}`));
    // PAZ_SECRETS_KEY is the key the cluster would use: it decides
    refused(await paz(['restore', file, '--data-dir', c], { PAZ_SECRETS_KEY: formatSecretKey(newSecretKey()) }), 1, /but the target's secrets key \(PAZ_SECRETS_KEY\) is [0-9a-f]{8}: .*set PAZ_SECRETS_KEY to the source's key/);
    assert.equal(existsSync(join(c, 'paz.db')), false);
  });

  it('refuses a truncated, changed or unknown file with what to do, and wrong usage with exit 2', async () => {
    const text = readFileSync(file, 'utf8');
    const target = join(dir, 'd');
    const bad = join(dir, 'bad.backup');
    const cases: Array<[string, RegExp]> = [
      [text.slice(0, Math.floor(text.length / 2)), /bad.backup: the file ends early .* cut short.*take the backup again \(paz backup FILE\) or use an intact copy/],
      [text.replace(/"v":"\{/, '"v":"{ '), /checksum does not match/],
      ['PK\u0003\u0004 not a backup\n', /not a paz backup header/],
      ['', /the file is empty/],
    ];
    const parsed = parseBackup(text);
    cases.push([formatBackup({ ...parsed, header: { ...parsed.header, version: BACKUP_VERSION + 1, pazVersion: '99.0.0' } }), new RegExp(`format version ${BACKUP_VERSION + 1}, written by paz 99.0.0; this paz reads version ${BACKUP_VERSION} and older: restore it with paz 99.0.0 or newer`)]);
    for (const [content, message] of cases) {
      writeFileSync(bad, content);
      refused(await paz(['restore', bad, '--data-dir', target, '--secrets-key', join(a.dataDir, 'secrets.key')]), 1, message);
    }
    assert.equal(existsSync(join(target, 'paz.db')), false, 'nothing was written');
    refused(await paz(['restore', join(dir, 'missing.backup'), '--data-dir', target]), 1, /missing.backup: no such file/);
    refused(await paz(['restore']), 2, /paz restore needs a FILE/);
    refused(await paz(['backup', 'x', 'y']), 2, /paz backup takes one FILE, got 2/);
    refused(await paz(['restore', file, '--forse']), 2, /unknown option --forse \(did you mean --force\?\)/);
    refused(await paz(['backup', join(dir, 'no', 'such', 'dir', 'f'), '--data-dir', b!.dataDir]), 1, /could not write .*: the directory .* does not exist/);
    ok(await paz(['backup', '--help']), 'paz backup --help');
    assert.match((await paz(['restore', '--help'])).stdout, /--secrets-key FILE/);
  });
});

const etcdSkip = findEtcdBinary() === undefined && process.env.CI !== 'true' ? 'etcd is not installed (apt-get install etcd-server)' : false;

/**
 * A writer that keeps writing one journal key and the latest counter in one txn each, and remembers the
 * revision of each: a consistent backup at revision R holds exactly the journal keys 1..n and latest = n,
 * n being the last txn at or before R.
 */
class Writer {
  private stopped = false;
  private done: Promise<void> | undefined;
  readonly revisions: number[] = [0];
  /** pauseMs 0: no pause between txns at all, only the turn of the event loop every write takes */
  constructor(private readonly store: Store, private readonly pauseMs = 1) {}
  start(): void {
    this.done = (async () => {
      for (let n = 1; !this.stopped; n++) {
        const res = await this.store.txn({
          compare: [],
          success: [
            { type: 'put', key: keys.journal(n, 'svc', n, 'deploy'), value: JSON.stringify({ n, pad: 'x'.repeat(200) }) },
            { type: 'put', key: keys.latest('svc'), value: String(n) },
          ],
        });
        this.revisions[n] = res.revision;
        // a server writes often but not without pause: SQLite's other processes get the write lock in between
        if (this.pauseMs > 0) await new Promise((r) => setTimeout(r, this.pauseMs));
      }
    })();
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
  /** checks a backup against what was written */
  async check(text: string): Promise<number> {
    const backup = parseBackup(text);
    // the txn the backup may have seen last could still be on its way back to the writer
    await waitFor('the writer to pass the backup\'s revision', async () => this.revisions[this.revisions.length - 1] > backup.header.revision);
    const latest = Number(backup.entries.find((e) => e.key === keys.latest('svc'))?.value ?? 0);
    const journal = backup.entries.filter((e) => e.key.startsWith(keys.journalPrefix())).map((e) => JSON.parse(e.value).n as number);
    assert.deepEqual(journal, Array.from({ length: latest }, (_, i) => i + 1), 'journal keys 1..latest, none missing, none after');
    const r = backup.header.revision;
    const expected = this.revisions.filter((rev) => rev <= r).length - 1;
    assert.equal(latest, expected, `at revision ${r} the writer had written ${expected}`);
    return latest;
  }
}

describe('a backup taken while writes go on', () => {
  const dir = tmpDir('paz-backup-live-');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is one revision of a SQLite store written by another process', async () => {
    const db = join(dir, 'live.db');
    const store = new SqliteStore(db);
    const writer = new Writer(store);
    writer.start();
    try {
      const seen: number[] = [];
      for (let i = 0; i < 4; i++) {
        const f = join(dir, `live-${i}.backup`);
        ok(await paz(['backup', f, '--store', `sqlite:${db}`]), 'paz backup');
        seen.push(await writer.check(readFileSync(f, 'utf8')));
      }
      assert.ok(seen[3] > seen[0], `writes went on during the backups (${seen.join(', ')})`);
    } finally {
      await writer.stop();
      await store.close();
    }
  });

  it('opens SQLite read-only: backups and paz kv beside non-stop writes never wait for the write lock', async () => {
    const db = join(dir, 'busy.db');
    const store = new SqliteStore(db);
    const writer = new Writer(store, 0);
    writer.start();
    try {
      await waitFor('the writer under way', async () => writer.revisions.length > 50, 10_000, 10);
      for (let i = 0; i < 5; i++) {
        const f = join(dir, `busy-${i}.backup`);
        const r = await paz(['backup', f, '--store', `sqlite:${db}`]);
        assert.doesNotMatch(r.stderr, /database is locked/);
        ok(r, 'paz backup');
        await writer.check(readFileSync(f, 'utf8'));
        const latest = ok(await paz(['kv', 'get', keys.latest('svc'), '--store', `sqlite:${db}`]), 'paz kv get');
        assert.match(latest.stdout, /^\d+\n$/);
      }
    } finally {
      await writer.stop();
      await store.close();
    }
    // a writer holding the write lock longer than SQLite's busy timeout (5 s): a backup that took the lock
    // to open the file (its schema set-up, a lease sweep) failed with "database is locked"; a read does not wait
    const holder = new Database(db);
    holder.exec('BEGIN IMMEDIATE');
    try {
      holder.prepare('UPDATE meta SET revision = revision WHERE id = 1').run();
      const started = Date.now();
      const r = await paz(['backup', join(dir, 'held.backup'), '--store', `sqlite:${db}`]);
      assert.doesNotMatch(r.stderr, /database is locked/);
      ok(r, 'paz backup while another connection holds the write lock');
      ok(await paz(['kv', 'ls', '/paz', '--store', `sqlite:${db}`]), 'paz kv ls while another connection holds the write lock');
      console.log(`backup and kv ls with the write lock held: ${Date.now() - started} ms`);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    // read-only: a store that is not there is not made
    const missing = join(dir, 'none', 'paz.db');
    refused(await paz(['backup', join(dir, 'none.backup'), '--store', `sqlite:${missing}`]), 1, /paz\.db does not exist: there is no Paz store there/);
    refused(await paz(['kv', 'ls', '--data-dir', join(dir, 'none')]), 1, /does not exist/);
    assert.equal(existsSync(join(dir, 'none')), false, 'nothing was created');
  });

  describe('on etcd', { skip: etcdSkip }, () => {
    let etcd: EtcdMember;
    before(async () => {
      etcd = EtcdMember.start({ name: 'backup', dataDir: join(dir, 'etcd'), logFile: join(dir, 'etcd.log'), clientPort: await freePort(), peerPort: await freePort() });
      await etcd.waitUntilHealthy();
    });
    after(async () => {
      await etcd?.stop();
    });

    it('is one revision of etcd, and restores into etcd in txns of its limits', async () => {
      const url = `etcd://${etcd.endpoint}`;
      const store = await openStore(url);
      const writer = new Writer(store);
      writer.start();
      const f = join(dir, 'etcd-live.backup');
      try {
        // enough keys that the restore below takes several txns, however fast the backups are
        await waitFor('the writer past two txns of keys', async () => writer.revisions.length > 2 * store.limits.maxTxnOps, 60_000, 50);
        for (let i = 0; i < 3; i++) {
          // the same file each time: replaced, as asked
          ok(await paz(['backup', f, '--store', url, '--force']), 'paz backup --force');
          await writer.check(readFileSync(f, 'utf8'));
        }
      } finally {
        await writer.stop();
      }
      try {
        const backup = parseBackup(readFileSync(f, 'utf8'));
        assert.ok(backup.entries.length > 2 * store.limits.maxTxnOps, `more keys (${backup.entries.length}) than two txns carry`);
        refused(await paz(['restore', f, '--store', url]), 1, /already holds Paz state/);
        // a live leader on the target: refused even with --force
        await store.put(keys.election('control'), 'someone');
        refused(await paz(['restore', f, '--store', url, '--force']), 1, /a Paz server or agent is live on etcd:\/\/.*\/paz\/elections\/control.*stop every paz server/);
        await store.delete(keys.election('control'));
        const r = ok(await paz(['restore', f, '--store', url, '--force']), 'paz restore --force');
        assert.match(r.stdout, new RegExp(`restored ${backup.entries.length} keys into ${url.replace(/[.]/g, '\\.')}`));
        const { kvs } = await store.range('/paz/');
        assert.deepEqual(kvs.map((kv) => ({ key: kv.key, value: kv.value })), backup.entries, 'exactly the backup, no marker left');
      } finally {
        await store.close();
      }
    });
  });
});
