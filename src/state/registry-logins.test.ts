import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { RegistryLogins } from './registry-logins.js';
import { keys } from '../core/keys.js';
import { isSealed, newSecretKey } from '../core/secret-box.js';
import { PazError } from '../core/errors.js';

describe('RegistryLogins', () => {
  it('seals the password per host, shows only username and fingerprint, and finds the login of an image', async () => {
    const store = new SqliteStore(':memory:');
    const logins = new RegistryLogins(store, newSecretKey(), () => 1000);
    const shown = await logins.set('Registry-1.Docker.io', { username: 'alice', password: 'hub-token' });
    assert.deepEqual(Object.keys(shown).sort(), ['fingerprint', 'host', 'updatedAt', 'username']);
    assert.equal(shown.host, 'docker.io');
    await logins.set('127.0.0.1:5001', { username: 'bob', password: 'local-pw' });
    const raw = JSON.parse((await store.get(keys.registryLogin('docker.io')))!.value);
    assert.ok(isSealed(raw.password));
    assert.ok(!JSON.stringify(await logins.list()).includes('hub-token'));
    // Docker Hub names (no registry, library images, aliases) all use docker.io's login
    for (const image of ['lukebond/demo-api:1', 'busybox', 'index.docker.io/team/app']) assert.deepEqual(await logins.forImage(image), { username: 'alice', password: 'hub-token' });
    assert.deepEqual(await logins.forImage('127.0.0.1:5001/team/hello:1'), { username: 'bob', password: 'local-pw' });
    assert.equal(await logins.forImage('ghcr.io/team/app:1'), undefined);
    await logins.remove('docker.io');
    assert.equal(await logins.forImage('busybox'), undefined);
    await assert.rejects(logins.remove('docker.io'), (e: PazError) => e.code === 'REGISTRY_LOGIN_NOT_FOUND');
    await assert.rejects(logins.set('ghcr.io/x', { username: 'a', password: 'b' }), (e: PazError) => e.code === 'VALIDATION');
    await assert.rejects(logins.set('ghcr.io', { username: 'a', password: '' }), (e: PazError) => e.code === 'VALIDATION' && /password/.test(e.message));
    await store.close();
  });

  it('a sealed password moved to another host\'s record, or opened with another key, does not open', async () => {
    const store = new SqliteStore(':memory:');
    const key = newSecretKey();
    const logins = new RegistryLogins(store, key);
    await logins.set('ghcr.io', { username: 'alice', password: 'pw' });
    const record = (await store.get(keys.registryLogin('ghcr.io')))!.value;
    await store.put(keys.registryLogin('quay.io'), record.replace('"ghcr.io"', '"quay.io"'));
    await assert.rejects(logins.open('quay.io'), /could not be opened/);
    await assert.rejects(new RegistryLogins(store, newSecretKey()).open('ghcr.io'), /sealed with key .*PAZ_SECRETS_KEY/);
    await store.close();
  });
});
