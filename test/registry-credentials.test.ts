// Issue 9, registry credentials: set, listed and removed through the admin API and `paz registry`, stored
// sealed (the password is in no answer, no stored byte and no log line), and used for digest lookups against
// a registry that requires a login: Basic (a real docker-registry with htpasswd) and Bearer tokens.
// test-lane: docker normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PazProcess, request, runPaz as paz } from './helpers/paz-server.js';
import { skipUnlessDocker, dockerTestEnv } from './helpers/env.js';
import { startTokenRegistry, type TokenRegistry } from './helpers/token-registry.js';
import { startAuthRegistry, type AuthRegistry } from './helpers/auth-registry.js';
import { openStore } from '../src/store/index.js';
import { keys } from '../src/core/keys.js';
import { isSealed } from '../src/core/secret-box.js';
import { loadSecretKey } from '../src/roles/secrets-key.js';
import { RegistryLogins } from '../src/state/registry-logins.js';
import { DigestResolver } from '../src/state/digest-resolver.js';
import Docker from 'dockerode';

const PASSWORD = `pw-${process.pid}-Zq8!x`;

/** Every byte Paz keeps in its data dir's store (the SQLite database and its write-ahead log). */
function storeBytes(dataDir: string): string {
  return ['paz.db', 'paz.db-wal'].map((f) => join(dataDir, f)).filter(existsSync).map((f) => readFileSync(f).toString('latin1')).join('');
}

describe('registry credentials through the admin API and paz registry', () => {
  // debug: every request is logged, so the log check below covers them
  const server = new PazProcess({ extraArgs: ['--log-level', 'debug'] });
  before(() => server.start());
  after(() => server.close());

  it('PUT stores the password sealed; GET shows host, username and fingerprint only; DELETE removes it', async () => {
    const put = await request('PUT', `${server.orchestrator}/registries/127.0.0.1:5001`, { username: 'alice', password: PASSWORD });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual(Object.keys(put.body.doc).sort(), ['fingerprint', 'host', 'updatedAt', 'username']);
    assert.match(put.body.doc.fingerprint, /^[0-9a-f]{12}$/);
    // Docker Hub under its canonical name, whatever alias the caller used
    assert.equal((await request('PUT', `${server.orchestrator}/registries/registry-1.docker.io`, { username: 'bob', password: `${PASSWORD}-hub` })).body.doc.host, 'docker.io');

    const list = await request('GET', `${server.orchestrator}/registries`);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.doc.map((l: { host: string; username: string }) => [l.host, l.username]), [['127.0.0.1:5001', 'alice'], ['docker.io', 'bob']]);
    assert.ok(!JSON.stringify(list.body).includes(PASSWORD), 'GET /registries never shows the password');

    // a new password: a new fingerprint
    const again = await request('PUT', `${server.orchestrator}/registries/127.0.0.1:5001`, { username: 'alice', password: `${PASSWORD}-2` });
    assert.notEqual(again.body.doc.fingerprint, put.body.doc.fingerprint);

    assert.equal((await request('DELETE', `${server.orchestrator}/registries/docker.io`)).status, 204);
    const gone = await request('DELETE', `${server.orchestrator}/registries/docker.io`);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.code, 'PAZ_REGISTRY_LOGIN_NOT_FOUND');
    assert.deepEqual((await request('GET', `${server.orchestrator}/registries`)).body.doc.map((l: { host: string }) => l.host), ['127.0.0.1:5001']);
  });

  it('bad hosts and logins are 400s that say what to fix', async () => {
    const cases: Array<[string, unknown, RegExp]> = [
      [encodeURIComponent('https://ghcr.io'), { username: 'a', password: 'b' }, /not a registry host\[:port\]/],
      [encodeURIComponent('ghcr.io/team'), { username: 'a', password: 'b' }, /not a registry host/],
      ['host:99999', { username: 'a', password: 'b' }, /port is 1 to 65535/],
      ['ghcr.io', { username: 'a:b', password: 'b' }, /may not contain ":"/],
      ['ghcr.io', { username: 'a' }, /password/],
      ['ghcr.io', { username: 'a', password: '' }, /password/],
      ['ghcr.io', { username: 'a', password: 'b', extra: 1 }, /unknown field "extra"/],
    ];
    for (const [host, body, message] of cases) {
      const res = await request('PUT', `${server.orchestrator}/registries/${host}`, body);
      assert.equal(res.status, 400, `${host} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.message, message);
    }
    assert.equal((await request('DELETE', `${server.orchestrator}/registries/${encodeURIComponent('a b')}`)).status, 400);
  });

  it('paz registry login reads the password from stdin; ls and logout', async () => {
    const url = ['--url', server.orchestrator];
    const login = await paz(['registry', 'login', 'ghcr.io', '--username', 'carol', '--password-stdin', ...url], `${PASSWORD}-cli\n`);
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /credentials for ghcr\.io set \(user carol, password fingerprint [0-9a-f]{12}\)/);
    const ls = await paz(['registry', 'ls', ...url]);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^HOST\s+USERNAME\s+FINGERPRINT\s+UPDATED$/m);
    assert.match(ls.stdout, /^ghcr\.io\s+carol\s+[0-9a-f]{12}\s/m);
    assert.ok(!ls.stdout.includes(PASSWORD));
    // the trailing newline of echo is not part of the password
    const store = await openStore(server.storeUrl);
    try {
      assert.equal((await new RegistryLogins(store, loadSecretKey(server.dataDir)).open('ghcr.io'))?.password, `${PASSWORD}-cli`);
    } finally {
      await store.close();
    }
    const bad = await paz(['registry', 'login', 'not a host', '--username', 'x', ...url], 'pw');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not a registry host/);
    assert.equal((await paz(['registry', 'logout', 'ghcr.io', ...url])).code, 0);
    assert.doesNotMatch((await paz(['registry', 'ls', ...url])).stdout, /ghcr\.io/);
    const missing = await paz(['registry', 'logout', 'ghcr.io', ...url]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no credentials are set for registry ghcr\.io/);
  });

  it('the password is sealed at rest (context registry:<host>) and appears in no stored byte and no log line', async () => {
    const store = await openStore(server.storeUrl);
    try {
      const raw = JSON.parse((await store.get(keys.registryLogin('127.0.0.1:5001')))!.value);
      assert.ok(isSealed(raw.password), 'the stored password is a sealed value');
      assert.equal((await new RegistryLogins(store, loadSecretKey(server.dataDir)).open('127.0.0.1:5001'))?.password, `${PASSWORD}-2`);
    } finally {
      await store.close();
    }
    assert.ok(storeBytes(server.dataDir).length > 0);
    assert.ok(!storeBytes(server.dataDir).includes(PASSWORD), 'no plain password in the store file');
    assert.match(server.output, /registries/, 'the requests were logged');
    assert.ok(!server.output.includes(PASSWORD), 'no password in the server log');
  });
});

describe('digest lookups with registry credentials', () => {
  let registry: TokenRegistry;
  const DIGEST = 'sha256:' + '7b'.repeat(32);
  const login = { username: 'dave', password: 'token-123' };
  const basic = `Basic ${Buffer.from('dave:token-123').toString('base64')}`;
  before(async () => {
    // a token service that hands pull tokens to known users only (as GHCR does for private images)
    registry = await startTokenRegistry({ manifests: { '/v2/team/app/manifests/1': DIGEST }, token: 'dave-token', tokenAuthorization: basic, service: 'private', scope: 'repository:team/app:pull' });
  });
  after(() => registry.close());

  it('asks the token realm with the login as Basic auth, then the manifest with the token', async () => {
    const image = `${registry.host}/team/app:1`;
    const r = await new DigestResolver({ credentials: async (host) => (host === registry.host ? login : undefined) }).resolve(image);
    assert.deepEqual(r, { digest: DIGEST });
    assert.deepEqual(registry.seen.slice(-2), [`GET /token?service=private&scope=repository%3Ateam%2Fapp%3Apull ${basic}`, 'HEAD /v2/team/app/manifests/1 Bearer dave-token']);
  });

  it('without a login, or with a wrong one, the lookup is refused with what to do', async () => {
    const image = `${registry.host}/team/app:1`;
    const none = await new DigestResolver().resolve(image);
    assert.deepEqual(none, { why: `registry ${registry.host} refused the pull (401): set credentials with paz registry login ${registry.host}`, refused: true });
    const wrong = await new DigestResolver({ credentials: async () => ({ username: 'dave', password: 'nope' }) }).resolve(image);
    assert.match((wrong as { why: string }).why, /refused the pull \(401\) with the credentials of dave/);
  });
});

describe('digest lookups against a docker-registry that requires htpasswd logins', skipUnlessDocker, () => {
  let registry: AuthRegistry;
  let digest: string;
  const login = { username: 'erin', password: `${PASSWORD}-basic` };
  before(async () => {
    const env = dockerTestEnv();
    registry = await startAuthRegistry({ erin: login.password });
    digest = await registry.push(new Docker({ socketPath: env.socketPath }), env.image1, 'team/hello:1', login);
  });
  after(() => registry?.stop());

  it('Basic auth gets the digest the push reported; no login or a wrong one is refused', async () => {
    const image = `${registry.host}/team/hello:1`;
    assert.deepEqual(await new DigestResolver({ credentials: async () => login }).resolve(image), { digest });
    const none = await new DigestResolver().resolve(image);
    assert.equal((none as { why: string }).why, `registry ${registry.host} refused the pull (401): set credentials with paz registry login ${registry.host}`);
    const wrong = await new DigestResolver({ credentials: async () => ({ username: 'erin', password: 'wrong' }) }).resolve(image);
    assert.match((wrong as { why: string }).why, /refused the pull \(401\) with the credentials of erin/);
  });
});
