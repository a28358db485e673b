import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openStore, parseStoreUrl, redactStoreUrl } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'paz-store-index-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('parseStoreUrl', () => {
  it('reads sqlite URLs and plain paths', () => {
    assert.deepEqual(parseStoreUrl('sqlite:/var/lib/paz/store.db'), { kind: 'sqlite', path: '/var/lib/paz/store.db' });
    assert.deepEqual(parseStoreUrl('sqlite:///var/lib/paz/store.db'), { kind: 'sqlite', path: '/var/lib/paz/store.db' });
    assert.deepEqual(parseStoreUrl('sqlite:data/store.db'), { kind: 'sqlite', path: 'data/store.db' });
    assert.deepEqual(parseStoreUrl('/tmp/x.db'), { kind: 'sqlite', path: '/tmp/x.db' });
    assert.deepEqual(parseStoreUrl('./x.db'), { kind: 'sqlite', path: './x.db' });
    assert.deepEqual(parseStoreUrl('sqlite::memory:'), { kind: 'sqlite', path: ':memory:' });
  });

  it('reads etcd endpoint lists', () => {
    assert.deepEqual(parseStoreUrl('etcd://h1:2379,h2:2379'), { kind: 'etcd', endpoints: ['h1:2379', 'h2:2379'], tls: false });
  });

  it("reads etcd's user and URL-encoded password, and etcds:// for TLS", () => {
    assert.deepEqual(parseStoreUrl('etcd://root:p%40ss%3Aw%25rd@h1:2379,h2:2379'), {
      kind: 'etcd', endpoints: ['h1:2379', 'h2:2379'], tls: false, auth: { username: 'root', password: 'p@ss:w%rd' },
    });
    // an @ left unencoded in the password still parses: host names never hold one
    assert.deepEqual(parseStoreUrl('etcds://paz:a@b@h1:2379'), { kind: 'etcd', endpoints: ['h1:2379'], tls: true, auth: { username: 'paz', password: 'a@b' } });
    assert.deepEqual(parseStoreUrl('ETCDS://h1:2379'), { kind: 'etcd', endpoints: ['h1:2379'], tls: true });
  });

  it("reads a cluster's own limits after the hosts, as etcd's flags name them", () => {
    assert.deepEqual(parseStoreUrl('etcd://h1:2379,h2:2379?max-txn-ops=64&max-request-bytes=1048576'), {
      kind: 'etcd', endpoints: ['h1:2379', 'h2:2379'], tls: false, limits: { maxTxnOps: 64, maxRequestBytes: 1048576 },
    });
    // after a password, which may hold a ? of its own
    assert.deepEqual(parseStoreUrl('etcds://paz:a?b@h1:2379?max-txn-ops=100'), { kind: 'etcd', endpoints: ['h1:2379'], tls: true, auth: { username: 'paz', password: 'a?b' }, limits: { maxTxnOps: 100 } });
    assert.throws(() => parseStoreUrl('etcd://h1:2379?max-ops=64'), /unknown setting "max-ops"; an etcd URL takes max-txn-ops and max-request-bytes/);
    for (const bad of ['max-txn-ops=15', 'max-txn-ops=1.5', 'max-txn-ops=', 'max-txn-ops=-64', 'max-request-bytes=1000', 'max-request-bytes=1e9', 'max-txn-ops=9999999999999']) {
      assert.throws(() => parseStoreUrl(`etcd://h1:2379?${bad}`), /must be a whole number of at least (16|65536)/, bad);
    }
    assert.throws(() => parseStoreUrl('etcd://root:s3cret@h1:2379?max-txn-ops=2'), (err: Error) => !err.message.includes('s3cret'), 'the password stays out');
  });

  it('never puts the password in its messages', () => {
    assert.equal(redactStoreUrl('etcd://root:s3cret@h1:2379'), 'etcd://root:***@h1:2379');
    assert.equal(redactStoreUrl('etcds://root:s%40cret@h1:2379,h2:2379'), 'etcds://root:***@h1:2379,h2:2379');
    assert.equal(redactStoreUrl('etcd://h1:2379'), 'etcd://h1:2379');
    for (const bad of ['etcd://root:s3cret%zz@h1:2379', 'etcd://root:s3cret@', 'etcd://:s3cret@h1:2379']) {
      assert.throws(() => parseStoreUrl(bad), (err: Error) => !err.message.includes('s3cret') && /etcd:\/\/.*:\*\*\*@/.test(err.message), bad);
    }
    assert.throws(() => parseStoreUrl('etcd://root@h1:2379'), /names a user but no password/);
  });

  it('rejects what it cannot open, saying what would work', () => {
    assert.throws(() => parseStoreUrl(''), /sqlite:\/path/);
    assert.throws(() => parseStoreUrl('sqlite:'), /no file path/);
    assert.throws(() => parseStoreUrl('etcd://'), /no etcd endpoint/);
    assert.throws(() => parseStoreUrl('redis://h:6379'), /unknown store URL scheme "redis:"/);
  });
});

describe('openStore', () => {
  it('opens a working SQLite store from a sqlite: URL and from a plain path', async () => {
    const file = join(dir, 'a.db');
    const viaUrl = await openStore(`sqlite:${file}`);
    const viaPath = await openStore(file);
    try {
      assert.equal(viaUrl.name, `sqlite:${resolve(file)}`);
      const revision = await viaUrl.put('/k', 'v');
      assert.equal((await viaPath.get('/k'))?.modRevision, revision);
    } finally {
      await viaUrl.close();
      await viaPath.close();
    }
  });

  it('opens a private in-memory store for sqlite::memory:, creating no file', async () => {
    const cwdBefore = readdirSync(process.cwd());
    const one = await openStore('sqlite::memory:');
    const two = await openStore('sqlite::memory:');
    try {
      assert.equal(one.name, 'sqlite::memory:');
      await one.put('/k', 'v');
      assert.equal((await one.get('/k'))?.value, 'v');
      assert.equal(await two.get('/k'), undefined);
      const seen: string[] = [];
      await one.watch('/', (events) => seen.push(...events.map((e) => e.key)), { fromRevision: 1 });
      await one.put('/k2', 'v');
      for (let i = 0; i < 200 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(seen, ['/k', '/k2']);
    } finally {
      await one.close();
      await two.close();
    }
    assert.deepEqual(readdirSync(process.cwd()), cwdBefore);
  });

  it('opens an etcd store for etcd:// URLs, named by its endpoints', async () => {
    const store = await openStore('etcd://127.0.0.1:1,127.0.0.1:2');
    assert.equal(store.name, 'etcd://127.0.0.1:1,127.0.0.1:2');
    await store.close();
  });

  it('names an etcd store with its user and scheme, never its password', async () => {
    const store = await openStore('etcds://root:s3cret@127.0.0.1:1');
    assert.equal(store.name, 'etcds://root@127.0.0.1:1');
    await store.close();
  });

  it('refuses TLS files for SQLite, and a client certificate without its key', async () => {
    await assert.rejects(openStore(join(dir, 'tls.db'), { tls: { ca: '/nonexistent/ca.pem' } }), /for an etcd store/);
    await assert.rejects(openStore('etcd://127.0.0.1:1', { tls: { cert: '/x/cert.pem' } }), /--store-cert and --store-key .* go together/);
    await assert.rejects(openStore('etcd://127.0.0.1:1', { tls: { ca: join(dir, 'missing-ca.pem') } }), /--store-ca .*missing-ca.pem: no such file/);
  });
});
