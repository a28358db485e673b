import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { chooseCoding, compress, etagFor, noneMatchHolds, strongEtag } from './content-coding.js';

test('Accept-Encoding: the best coding the client accepts, br before gzip when it likes both equally', () => {
  const cases: Array<[string | string[] | undefined, string]> = [
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip, deflate', 'gzip'], // undici's fetch over http
    ['gzip, deflate, br, zstd', 'br'], // Chromium
    ['br;q=1.0, gzip;q=0.8, *;q=0.1', 'br'],
    ['gzip;q=0.5, br;q=0.4', 'gzip'], // the client's q-values win over Paz's preference
    ['GZIP', 'gzip'], // codings are case-insensitive
    ['gzip;q=0', 'identity'],
    ['gzip;q=0, br;q=0', 'identity'],
    ['*', 'br'],
    ['*;q=0', 'identity'], // nothing acceptable: an answer beats an error
    ['identity;q=0', 'identity'],
    ['identity;q=0, gzip', 'gzip'],
    ['br;q=0, *', 'gzip'], // a coding named beats the wildcard
    ['br;q=0, gzip;q=0, *', 'identity'],
    ['deflate', 'identity'], // not offered
    [['gzip;q=0.1', 'br;q=0.2'], 'br'], // repeated header lines are one list
  ];
  for (const [header, expected] of cases) assert.equal(chooseCoding(header), expected, `Accept-Encoding: ${JSON.stringify(header)}`);
});

test('Accept-Encoding: garbage and huge values give an answer, never a throw', () => {
  for (const header of ['x'.repeat(100_000), 'gzip;q=abc', ',,,;;;q=', 'gzip;q=1.5', ';', '=', 'gzip;q=-1', '\u0000\u00ff', 'gzip,'.repeat(10_000)]) {
    assert.match(chooseCoding(header), /^(br|gzip|identity)$/, JSON.stringify(header.slice(0, 40)));
  }
  assert.equal(chooseCoding('gzip,'.repeat(10_000)), 'gzip');
});

test('ETag: strong, the same for the same bytes, different for different bytes and per coding', () => {
  const a = strongEtag(Buffer.from('[{"name":"a"}]'));
  assert.match(a, /^"[A-Za-z0-9_-]{27}"$/);
  assert.equal(strongEtag(Buffer.from('[{"name":"a"}]')), a);
  assert.notEqual(strongEtag(Buffer.from('[{"name":"b"}]')), a);
  assert.equal(etagFor(a, 'identity'), a);
  assert.equal(etagFor(a, 'gzip'), `${a.slice(0, -1)}-gzip"`);
  assert.notEqual(etagFor(a, 'br'), etagFor(a, 'gzip'));
});

test('If-None-Match: holds for the tag, in a list, weak-prefixed or *; never for garbage', () => {
  const tag = strongEtag(Buffer.from('x'));
  assert.equal(noneMatchHolds(tag, tag), true);
  assert.equal(noneMatchHolds(`"other", ${tag}`, tag), true);
  assert.equal(noneMatchHolds(`W/${tag}`, tag), true);
  assert.equal(noneMatchHolds('*', tag), true);
  assert.equal(noneMatchHolds([`"other"`, tag], tag), true);
  assert.equal(noneMatchHolds(undefined, tag), false);
  assert.equal(noneMatchHolds('', tag), false);
  assert.equal(noneMatchHolds(tag.slice(1, -1), tag), false); // unquoted is not the tag
  assert.equal(noneMatchHolds(etagFor(tag, 'gzip'), tag), false); // another coding's representation
  assert.equal(noneMatchHolds('"a",'.repeat(20_000), tag), false);
  assert.equal(noneMatchHolds('\u0000 W/ ,,, **', tag), false);
});

test('compress: br and gzip decode to exactly the bytes given', async () => {
  const body = Buffer.from(JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ name: `svc-${i % 7}-1-${i}`, healthy: i % 3 !== 0, endpoint: `127.0.0.1:${20000 + i}` }))));
  const br = await compress(body, 'br');
  const gz = await compress(body, 'gzip');
  assert.ok(br.length < body.length / 4 && gz.length < body.length / 4, `compressed ${br.length} (br), ${gz.length} (gzip) of ${body.length}`);
  assert.deepEqual(brotliDecompressSync(br), body);
  assert.deepEqual(gunzipSync(gz), body);
});
