// The token store on a real SQLite store: hashed records, unique names, revocation seen by another server
// once its 1 s lookup cache runs out (a clock the test moves, not a timed wait), and never two last admins
// revoked at once.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openStore } from '../src/store/index.js';
import type { Store } from '../src/store/store.js';
import { Tokens, CACHE_MS } from '../src/state/tokens.js';
import { keys } from '../src/core/keys.js';
import { PazError } from '../src/core/errors.js';
import { tmpDir } from './helpers/env.js';

describe('token store', () => {
  let store: Store;
  let clock = 1_000_000;
  const now = () => clock;
  before(async () => {
    store = await openStore(`sqlite:${join(tmpDir('paz-tokens-'), 'paz.db')}`);
  });
  after(() => store.close());

  it('keeps only a hash, and verifies the token it made and nothing else', async () => {
    const tokens = new Tokens(store, now);
    const made = await tokens.create('first', 'admin', 'paz');
    const raw = (await store.get(keys.token(made.id)))!.value;
    assert.ok(!raw.includes(made.token.slice(-43)), 'no secret in the store');
    assert.deepEqual(Object.keys(JSON.parse(raw)).sort(), ['createdAt', 'createdBy', 'hash', 'id', 'name', 'role']);
    assert.deepEqual(await tokens.verify(made.token), { name: 'first', role: 'admin' });
    assert.equal(await tokens.verify(made.token.slice(0, -1) + (made.token.endsWith('A') ? 'B' : 'A')), undefined);
    assert.equal(await tokens.verify('not a token'), undefined);
    assert.ok((await tokens.list()).every((t) => !('hash' in t)));
    await assert.rejects(tokens.create('first', 'read-only', 'paz'), (e: PazError) => e.code === 'TOKEN_EXISTS');
    await assert.rejects(tokens.create('Bad Name', 'read-only', 'paz'), (e: PazError) => e.code === 'VALIDATION');
  });

  it('a revocation reaches another server once its cache entry is a second old', async () => {
    const here = new Tokens(store, now);
    const there = new Tokens(store, now);
    const t = await here.create('short-lived', 'deployer', 'first');
    assert.ok(await there.verify(t.token), 'cached by the other server');
    await here.revoke('short-lived', 'first');
    assert.equal(await here.verify(t.token), undefined, 'at once where it was revoked');
    clock += CACHE_MS - 1;
    assert.ok(await there.verify(t.token), 'still cached elsewhere within the second');
    clock += 1;
    assert.equal(await there.verify(t.token), undefined, 'refused once the cache entry expired');
  });

  it('never revokes the last admin, even when two revocations race', async () => {
    const tokens = new Tokens(store, now);
    await assert.rejects(tokens.revoke('first', 'first'), (e: PazError) => e.code === 'LAST_ADMIN_TOKEN' && /last admin token/.test(e.message));
    await tokens.create('second', 'admin', 'first');
    const results = await Promise.allSettled([tokens.revoke('first', 'x'), new Tokens(store, now).revoke('second', 'x')]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, JSON.stringify(results.map((r) => r.status)));
    assert.equal((await tokens.list()).filter((t) => t.role === 'admin').length, 1);
    await assert.rejects(tokens.revoke('no-such', 'x'), (e: PazError) => e.code === 'TOKEN_NOT_FOUND');
  });
});
