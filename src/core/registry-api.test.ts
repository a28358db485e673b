import { test } from 'node:test';
import assert from 'node:assert/strict';
import { challengeScheme, isLoopbackRegistry, manifestLocation, parseBearerChallenge, tokenFromAnswer, tokenUrl, MANIFEST_ACCEPT } from './registry-api.js';

test('loopback registries are spoken to over http, others over https', () => {
  assert.equal(isLoopbackRegistry('127.0.0.1:5000'), true);
  assert.equal(isLoopbackRegistry('127.9.8.7'), true);
  assert.equal(isLoopbackRegistry('localhost:5000'), true);
  assert.equal(isLoopbackRegistry('[::1]:5000'), true);
  assert.equal(isLoopbackRegistry('quay.io'), false);
  assert.equal(isLoopbackRegistry('10.0.0.1:5000'), false);
  assert.equal(manifestLocation('127.0.0.1:5000/paz/app:stable').url, 'http://127.0.0.1:5000/v2/paz/app/manifests/stable');
  assert.equal(manifestLocation('quay.io/a/b').url, 'https://quay.io/v2/a/b/manifests/latest');
  assert.equal(manifestLocation('10.0.0.1:5000/a:1', ['10.0.0.1:5000']).url, 'http://10.0.0.1:5000/v2/a/manifests/1');
});

test('Docker Hub names go to registry-1.docker.io under library/', () => {
  const loc = manifestLocation('busybox:1.36');
  assert.deepEqual(loc, { baseUrl: 'https://registry-1.docker.io', repository: 'library/busybox', reference: '1.36', url: 'https://registry-1.docker.io/v2/library/busybox/manifests/1.36' });
});

test('the accept header names Docker v2, manifest lists and OCI index', () => {
  for (const t of ['manifest.v2+json', 'manifest.list.v2+json', 'oci.image.index.v1+json', 'oci.image.manifest.v1+json']) assert.match(MANIFEST_ACCEPT, new RegExp(t.replace(/[.+]/g, '\\$&')));
});

test('parses a Bearer challenge and builds the anonymous pull token request', () => {
  const c = parseBearerChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"');
  assert.deepEqual(c, { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' });
  assert.equal(tokenUrl(c!, 'library/busybox'), 'https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Fbusybox%3Apull');
  const bare = parseBearerChallenge('bearer realm=http://127.0.0.1:5001/auth');
  assert.deepEqual(bare, { realm: 'http://127.0.0.1:5001/auth' });
  assert.equal(tokenUrl(bare!, 'paz/app'), 'http://127.0.0.1:5001/auth?scope=repository%3Apaz%2Fapp%3Apull');
  assert.equal(parseBearerChallenge('Basic realm="x"'), undefined);
  assert.equal(parseBearerChallenge(null), undefined);
  assert.equal(parseBearerChallenge('Bearer service="x"'), undefined);
});

test('reads token or access_token from the token answer', () => {
  assert.equal(tokenFromAnswer({ token: 'abc' }), 'abc');
  assert.equal(tokenFromAnswer({ access_token: 'def' }), 'def');
  assert.equal(tokenFromAnswer({ token: '' }), undefined);
  assert.equal(tokenFromAnswer('x'), undefined);
});

test('tells the Basic and Bearer challenges of a 401 apart', () => {
  assert.equal(challengeScheme('Basic realm="paz-test"'), 'basic');
  assert.equal(challengeScheme('basic'), 'basic');
  assert.equal(challengeScheme('Bearer realm="https://ghcr.io/token",service="ghcr.io"'), 'bearer');
  assert.equal(challengeScheme('Digest realm="x"'), undefined);
  assert.equal(challengeScheme('Basically'), undefined);
  assert.equal(challengeScheme(null), undefined);
});
