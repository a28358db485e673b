import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { RegistryLogins } from '../state/registry-logins.js';
import { newSecretKey } from '../core/secret-box.js';
import { DriverError } from './drivers/driver.js';
import { loginForPull } from './pull-login.js';

test('an agent pulls with the login of the image\'s registry; one it cannot open fails the pull as refused, saying what to fix', async () => {
  const store = new SqliteStore(':memory:');
  const logins = new RegistryLogins(store, newSecretKey());
  await logins.set('ghcr.io', { username: 'alice', password: 'pw' });
  assert.deepEqual(await loginForPull(logins, 'ghcr.io/team/app:1'), { username: 'alice', password: 'pw' });
  assert.equal(await loginForPull(logins, 'quay.io/team/app:1'), undefined);
  assert.equal(await loginForPull(undefined, 'ghcr.io/team/app:1'), undefined);
  // an agent with another secrets key
  await assert.rejects(loginForPull(new RegistryLogins(store, newSecretKey()), 'ghcr.io/team/app:1'), (e: DriverError) =>
    e instanceof DriverError && e.code === 'REGISTRY_AUTH' && /credentials of registry ghcr\.io cannot be opened on this host: .*PAZ_SECRETS_KEY/.test(e.message));
  await store.close();
});
