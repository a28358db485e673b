import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearerToken, hashToken, newToken, roleAllows, rolesAllowed, tokenId, tokenMatches, tokenNameProblem } from './tokens.js';

test('a new token names its record and carries 32 random bytes', () => {
  const t = newToken();
  assert.match(t.token, /^paz_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
  assert.equal(tokenId(t.token), t.id);
  assert.equal(Buffer.from(t.token.split('_').slice(2).join('_'), 'base64url').length, 32);
  assert.notEqual(newToken().token, t.token);
  // the hash is not the token, and does not contain the secret
  assert.equal(t.hash, hashToken(t.token));
  assert.ok(!t.hash.includes(t.token.slice(-20)));
});

test('a token matches only its own record', () => {
  const a = newToken();
  const b = newToken();
  assert.equal(tokenMatches({ id: a.id, hash: a.hash }, a.token), true);
  assert.equal(tokenMatches({ id: a.id, hash: a.hash }, b.token), false);
  // same id, other secret
  const forged = `paz_${a.id}_${b.token.slice(-43)}`;
  assert.equal(tokenMatches({ id: a.id, hash: a.hash }, forged), false);
  assert.equal(tokenMatches({ id: a.id, hash: a.hash }, a.token + 'x'), false);
});

test('texts that are not tokens have no id', () => {
  for (const s of ['', 'paz_', 'paz_abc_def', `paz_${'g'.repeat(12)}_${'a'.repeat(43)}`, `xpaz_${'a'.repeat(12)}_${'a'.repeat(43)}`, `paz_${'a'.repeat(12)}_${'a'.repeat(42)}`]) {
    assert.equal(tokenId(s), undefined, s);
  }
});

test('bearer tokens are read from the Authorization header', () => {
  assert.equal(bearerToken('Bearer abc'), 'abc');
  assert.equal(bearerToken('bearer  abc '), 'abc');
  assert.equal(bearerToken('Basic abc'), undefined);
  assert.equal(bearerToken('Bearer'), undefined);
  assert.equal(bearerToken('Bearer a b'), undefined);
  assert.equal(bearerToken(undefined), undefined);
});

test('roles: read-only reads, deployer deploys, admin does everything', () => {
  assert.deepEqual(rolesAllowed('read'), ['read-only', 'deployer', 'admin']);
  assert.equal(roleAllows('read-only', 'read'), true);
  assert.equal(roleAllows('read-only', 'deploy'), false);
  assert.equal(roleAllows('read-only', 'admin'), false);
  assert.equal(roleAllows('deployer', 'deploy'), true);
  assert.equal(roleAllows('deployer', 'admin'), false);
  assert.equal(roleAllows('admin', 'admin'), true);
  assert.equal(roleAllows('admin', 'deploy'), true);
});

test('token names are short lower-case words', () => {
  for (const ok of ['admin', 'ci', 'deploy-bot-2', 'a']) assert.equal(tokenNameProblem(ok), undefined, ok);
  for (const bad of ['', 'Admin', '-x', 'x-', 'a b', 'a_b', 'x'.repeat(65), 'ä']) assert.ok(tokenNameProblem(bad), bad);
});
