import { test } from 'node:test';
import assert from 'node:assert/strict';
import { servingTagChange, parseImageRef, repositoryKey, withTag, imageRefProblem, tagProblem, effectiveTag, pinnedRef, digestOf, imageName, isImageDigest, repoDigestFor, runsWantedImage, withoutDigest } from './image-ref.js';

test('parses Docker Hub short names into library/ paths', () => {
  assert.deepEqual(parseImageRef('busybox'), { registry: 'docker.io', path: 'library/busybox' });
  assert.deepEqual(parseImageRef('lukebond/demo-api:0.0.1'), { registry: 'docker.io', path: 'lukebond/demo-api', tag: '0.0.1' });
});

test('parses registries with ports and keeps the tag apart from the port', () => {
  assert.deepEqual(parseImageRef('127.0.0.1:5000/paz/hello:2'), { registry: '127.0.0.1:5000', path: 'paz/hello', tag: '2' });
  assert.deepEqual(parseImageRef('localhost:5000/hello'), { registry: 'localhost:5000', path: 'hello' });
  assert.deepEqual(parseImageRef('quay.io/lukebond/demo-api'), { registry: 'quay.io', path: 'lukebond/demo-api' });
});

test('repository keys ignore tags and Docker Hub aliases', () => {
  assert.equal(repositoryKey('lukebond/x'), repositoryKey('docker.io/lukebond/x:1'));
  assert.equal(repositoryKey('index.docker.io/lukebond/x'), 'docker.io/lukebond/x');
  assert.notEqual(repositoryKey('quay.io/lukebond/x'), repositoryKey('lukebond/x'));
});

test('withTag replaces or adds the tag and drops digests', () => {
  assert.equal(withTag('127.0.0.1:5000/paz/hello:1', '2'), '127.0.0.1:5000/paz/hello:2');
  assert.equal(withTag('127.0.0.1:5000/paz/hello', '2'), '127.0.0.1:5000/paz/hello:2');
  assert.equal(withTag('lukebond/x@sha256:' + 'a'.repeat(64), 'v1'), 'lukebond/x:v1');
});

test('effectiveTag defaults to latest', () => {
  assert.equal(effectiveTag('busybox'), 'latest');
  assert.equal(effectiveTag('127.0.0.1:5000/paz/hello:2'), '2');
});

test('imageRefProblem rejects what Docker would reject', () => {
  assert.equal(imageRefProblem('lukebond/demo-api:0.0.1'), undefined);
  assert.match(imageRefProblem('Luke/Demo')!, /repository path/);
  assert.match(imageRefProblem('a b')!, /white space/);
  assert.match(imageRefProblem('')!, /empty/);
  assert.match(imageRefProblem('x:bad tag')!, /white space/);
  assert.match(imageRefProblem('x:-bad')!, /tag/);
});

import { withDefaultTag, registryOf } from './image-ref.js';

test('withDefaultTag adds :latest only when there is neither tag nor digest', () => {
  assert.equal(withDefaultTag('127.0.0.1:5000/paz/hello'), '127.0.0.1:5000/paz/hello:latest');
  assert.equal(withDefaultTag('127.0.0.1:5000/paz/hello:2'), '127.0.0.1:5000/paz/hello:2');
  assert.equal(withDefaultTag('localhost:5000/app'), 'localhost:5000/app:latest');
  assert.equal(withDefaultTag(`x@sha256:${'a'.repeat(64)}`), `x@sha256:${'a'.repeat(64)}`);
});

test('registryOf names the registry a pull talks to', () => {
  assert.equal(registryOf('127.0.0.1:5999/paz/hello:1'), '127.0.0.1:5999');
  assert.equal(registryOf('paz/hello:1'), 'docker.io');
  assert.equal(registryOf('localhost/app'), 'localhost');
});

const D = 'sha256:' + 'ab'.repeat(32);

test('pinnedRef drops the tag and keeps the spelling of the name', () => {
  assert.equal(pinnedRef('127.0.0.1:5000/paz/app:stable', D), `127.0.0.1:5000/paz/app@${D}`);
  assert.equal(pinnedRef('busybox', D), `busybox@${D}`);
  assert.equal(pinnedRef(`busybox:1@sha256:${'cd'.repeat(32)}`, D), `busybox@${D}`);
  assert.throws(() => pinnedRef('busybox', 'sha256:short'), /not an image digest/);
});

test('a pinned reference parses back to its digest', () => {
  const r = parseImageRef(`127.0.0.1:5000/paz/app@${D}`);
  assert.deepEqual(r, { registry: '127.0.0.1:5000', path: 'paz/app', digest: D });
  assert.equal(imageRefProblem(`127.0.0.1:5000/paz/app@${D}`), undefined);
  assert.equal(digestOf(`127.0.0.1:5000/paz/app@${D}`), D);
  assert.equal(digestOf('127.0.0.1:5000/paz/app:1'), undefined);
  assert.equal(imageName(`127.0.0.1:5000/paz/app:1@${D}`), '127.0.0.1:5000/paz/app');
  assert.equal(isImageDigest(D), true);
  assert.equal(isImageDigest('sha256:XYZ'), false);
});

test('repoDigestFor picks the digest of the same repository', () => {
  const other = 'sha256:' + 'ef'.repeat(32);
  const list = [`127.0.0.1:5000/paz/hello@${other}`, `127.0.0.1:5000/paz/app@${D}`];
  assert.equal(repoDigestFor('127.0.0.1:5000/paz/app:stable', list), D);
  assert.equal(repoDigestFor('127.0.0.1:5000/paz/hello:1', list), other);
  assert.equal(repoDigestFor('docker.io/library/busybox', [`busybox@${D}`]), D);
  assert.equal(repoDigestFor('127.0.0.1:5000/paz/none:1', list), undefined);
  assert.equal(repoDigestFor('x', []), undefined);
});

test('runsWantedImage accepts the pinned form of a tag reference, nothing else', () => {
  assert.equal(runsWantedImage('a/b:1', 'a/b:1'), true);
  assert.equal(runsWantedImage(`a/b@${D}`, 'a/b:1'), true);
  assert.equal(runsWantedImage(`a/c@${D}`, 'a/b:1'), false);
  assert.equal(runsWantedImage('a/b:2', 'a/b:1'), false);
  assert.equal(runsWantedImage(`a/b@${D}`, `a/b@sha256:${'cd'.repeat(32)}`), false);
});

test('withoutDigest removes only a trailing digest', () => {
  assert.equal(withoutDigest(`node@${D}`), 'node');
  assert.equal(withoutDigest('/usr/bin/node'), '/usr/bin/node');
  assert.equal(withoutDigest('a/b:1'), 'a/b:1');
});

test('tagProblem follows Docker\'s tag grammar and says what to fix', () => {
  for (const ok of ['1.2', 'latest', 'v1.2.3-rc.1', '_x', 'A'.repeat(128)]) assert.equal(tagProblem(ok), undefined, ok);
  for (const bad of ['', ' x', 'a b', 'a\nb', 'a\rb', 'a\u0000b', '$(reboot)', '`id`', 'a;b', '-x', '.x', 'a/b', 'a:b', 'é', 'A'.repeat(129)]) {
    assert.ok(tagProblem(bad), JSON.stringify(bad));
  }
  assert.match(tagProblem('$(x)')!, /letters, digits/);
});

test('imageRefProblem refuses control characters, bad registries, empty tags and digests, over-long names', () => {
  assert.equal(imageRefProblem('127.0.0.1:5000/team/app:1.2'), undefined);
  assert.equal(imageRefProblem('localhost:5000/app'), undefined);
  assert.equal(imageRefProblem('[::1]:5000/app:1'), undefined);
  assert.equal(imageRefProblem('quay.io/a/b-c__d.e:1'), undefined);
  assert.match(imageRefProblem('app:1\n2')!, /control/);
  assert.match(imageRefProblem('app\u0000x')!, /control/);
  assert.match(imageRefProblem('ev$il.io/app')!, /registry/);
  assert.match(imageRefProblem('a_b.io:99/app')!, /registry/);
  assert.match(imageRefProblem('app:$(reboot)')!, /tag "\$\(reboot\)"/);
  assert.match(imageRefProblem('app:')!, /no tag/);
  assert.match(imageRefProblem('app@')!, /no digest/);
  assert.match(imageRefProblem('app@sha256:xyz')!, /digest/);
  assert.match(imageRefProblem(`a/${'b'.repeat(300)}`)!, /at most 255/);
  assert.match(imageRefProblem('app/-x')!, /repository path/);
});

import { canonicalRegistryHost, registryHostProblem } from './image-ref.js';

test('registry hosts: host[:port] as image references name them, Docker Hub under one name', () => {
  for (const ok of ['ghcr.io', 'docker.io', '127.0.0.1:5001', 'localhost', 'localhost:5000', '[::1]:5000', 'my-registry.example.com:443']) assert.equal(registryHostProblem(ok), undefined, ok);
  for (const bad of ['', 'ghcr.io/x', 'http://ghcr.io', 'a_b.io', 'host:', 'host:0', 'host:65536', 'a b', 'x'.repeat(256)]) assert.ok(registryHostProblem(bad), JSON.stringify(bad));
  assert.equal(canonicalRegistryHost('Registry-1.Docker.io'), 'docker.io');
  assert.equal(canonicalRegistryHost('GHCR.io'), 'ghcr.io');
});

test('servingTagChange: what a deploy without a tag would change the serving tag from and to', () => {
  assert.deepEqual(servingTagChange('127.0.0.1:5000/paz/hello', '127.0.0.1:5000/paz/hello:1'), { now: '1', next: 'latest' });
  assert.deepEqual(servingTagChange('acme/web:2', 'acme/web:1.9'), { now: '1.9', next: '2' });
  assert.equal(servingTagChange('acme/web', 'acme/web:latest'), undefined);
  assert.equal(servingTagChange('acme/web:3', 'acme/web:3'), undefined);
  assert.equal(servingTagChange('acme/api', 'acme/web:1'), undefined, 'another repository: changed on purpose');
  assert.equal(servingTagChange('acme/web', `acme/web@sha256:${'a'.repeat(64)}`), undefined);
});
