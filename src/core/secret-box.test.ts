import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fingerprint, formatSecretKey, isSealed, newSecretKey, open, parseSecretKey, seal, sealedKeyId, SecretKeyError } from './secret-box.js';

test('a sealed secret opens with its key and context, and shows nothing of the plaintext', () => {
  const key = newSecretKey();
  const sealed = seal(key, 'hunter2', 'env:web:DB_PASSWORD');
  assert.ok(isSealed(sealed));
  assert.ok(!sealed.includes('hunter2'));
  assert.equal(sealedKeyId(sealed), key.id);
  assert.equal(open(key, sealed, 'env:web:DB_PASSWORD'), 'hunter2');
  // a fresh IV each time: the same value sealed twice gives two strings
  assert.notEqual(seal(key, 'hunter2', 'x'), seal(key, 'hunter2', 'x'));
});

test('another context, another key or a changed byte fails to open, saying why', () => {
  const key = newSecretKey();
  const sealed = seal(key, 'hunter2', 'env:web:A');
  assert.throws(() => open(key, sealed, 'env:web:B'), SecretKeyError);
  assert.throws(() => open(newSecretKey(), sealed, 'env:web:A'), /sealed with key .* but this host has key/);
  const parts = sealed.split(':');
  const ct = Buffer.from(parts[5]!, 'base64url');
  ct[0] = ct[0]! ^ 1;
  parts[5] = ct.toString('base64url');
  assert.throws(() => open(key, parts.join(':'), 'env:web:A'), /could not be opened/);
  assert.throws(() => open(key, 'plain', 'env:web:A'), /not a sealed secret/);
});

test('keys read back from base64 or hex; wrong sizes are refused', () => {
  const key = newSecretKey();
  assert.equal(parseSecretKey(formatSecretKey(key)).id, key.id);
  assert.equal(parseSecretKey(key.bytes.toString('hex')).id, key.id);
  assert.throws(() => parseSecretKey('c2hvcnQ='), /32 random bytes/);
});

test('fingerprints tell values apart and depend on the key', () => {
  const key = newSecretKey();
  assert.equal(fingerprint(key, 'a'), fingerprint(key, 'a'));
  assert.notEqual(fingerprint(key, 'a'), fingerprint(key, 'b'));
  assert.notEqual(fingerprint(key, 'a'), fingerprint(newSecretKey(), 'a'));
  assert.match(fingerprint(key, 'a'), /^[0-9a-f]{12}$/);
});
