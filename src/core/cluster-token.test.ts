import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearerToken, clusterAuthHeader, ClusterTokenError, isClusterToken, newClusterToken, parseClusterToken } from './cluster-token.js';

test('a new cluster token is long, random and of the accepted form', () => {
  const a = newClusterToken();
  const b = newClusterToken();
  assert.notEqual(a, b);
  assert.equal(parseClusterToken(a), a);
  assert.ok(a.length >= 40);
});

test('parseClusterToken trims white space and refuses short, long or header-breaking tokens', () => {
  assert.equal(parseClusterToken('  abcdefghijklmnopqrstuvwxyz\n'), 'abcdefghijklmnopqrstuvwxyz');
  assert.throws(() => parseClusterToken('short'), /at least 16 characters, got 5/);
  assert.throws(() => parseClusterToken(''), ClusterTokenError);
  assert.throws(() => parseClusterToken('x'.repeat(513)), /at most 512/);
  assert.throws(() => parseClusterToken('abcdefgh ijklmnopqrstuvwxyz'), /visible ASCII/);
  assert.throws(() => parseClusterToken('abcdefghijklmnop\r\nX-Evil: 1'), /visible ASCII/);
  assert.throws(() => parseClusterToken('abcdefghijklmnopé'), /visible ASCII/);
});

test('bearerToken reads only a well-formed Bearer header', () => {
  assert.equal(bearerToken('Bearer abc.def'), 'abc.def');
  assert.equal(bearerToken('bearer   abc'), 'abc');
  assert.equal(bearerToken(undefined), undefined);
  assert.equal(bearerToken('Basic abc'), undefined);
  assert.equal(bearerToken('Bearer'), undefined);
  assert.equal(bearerToken('Bearer a b'), undefined);
  assert.equal(bearerToken(['Bearer a', 'Bearer b']), undefined);
});

test('isClusterToken accepts the token only', () => {
  const token = newClusterToken();
  assert.equal(isClusterToken(token, token), true);
  assert.equal(isClusterToken(token, undefined), false);
  assert.equal(isClusterToken(token, ''), false);
  assert.equal(isClusterToken(token, `${token}x`), false);
  assert.equal(isClusterToken(token, token.slice(0, -1)), false);
  assert.equal(isClusterToken(token, newClusterToken()), false);
});

test('the header the orchestrator sends reads back as the token', () => {
  const token = newClusterToken();
  assert.equal(isClusterToken(token, bearerToken(clusterAuthHeader(token).authorization)), true);
});

test('a new token never starts with "-", which a command line would read as an option', () => {
  // one in 64 base64url strings starts with "-": 2000 tokens would hold about 31 of them
  const tokens = Array.from({ length: 2000 }, () => newClusterToken());
  assert.deepEqual(tokens.filter((t) => t.startsWith('-')), []);
  assert.ok(tokens.every((t) => t.length === 43));
});
