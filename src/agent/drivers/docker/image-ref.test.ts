import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseImageRef, registryOf, withDefaultTag } from './image-ref.js';

test('a registry with a port, repository path and tag', () => {
  assert.deepEqual(parseImageRef('127.0.0.1:5000/paz/hello:1'), {
    registry: '127.0.0.1:5000',
    repository: 'paz/hello',
    tag: '1',
  });
});

test('a Docker Hub name has no registry part', () => {
  assert.deepEqual(parseImageRef('lukebond/contrived-service-1:0.0.1'), {
    registry: 'docker.io',
    repository: 'lukebond/contrived-service-1',
    tag: '0.0.1',
  });
  assert.deepEqual(parseImageRef('busybox'), { registry: 'docker.io', repository: 'busybox' });
});

test('a registry port is not mistaken for a tag', () => {
  assert.deepEqual(parseImageRef('localhost:5000/app'), { registry: 'localhost:5000', repository: 'app' });
  assert.deepEqual(parseImageRef('localhost/app'), { registry: 'localhost', repository: 'app' });
});

test('digests, with and without a tag', () => {
  const digest = 'sha256:' + 'a'.repeat(64);
  assert.deepEqual(parseImageRef(`reg.example:443/x/y@${digest}`), {
    registry: 'reg.example:443',
    repository: 'x/y',
    digest,
  });
  assert.deepEqual(parseImageRef(`x/y:2@${digest}`), { registry: 'docker.io', repository: 'x/y', tag: '2', digest });
});

test('withDefaultTag adds :latest only when there is neither tag nor digest', () => {
  assert.equal(withDefaultTag('127.0.0.1:5000/paz/hello'), '127.0.0.1:5000/paz/hello:latest');
  assert.equal(withDefaultTag('127.0.0.1:5000/paz/hello:2'), '127.0.0.1:5000/paz/hello:2');
  assert.equal(withDefaultTag('x@sha256:abc'), 'x@sha256:abc');
});

test('registryOf and an empty reference', () => {
  assert.equal(registryOf('127.0.0.1:5999/paz/hello:1'), '127.0.0.1:5999');
  assert.equal(registryOf('paz/hello:1'), 'docker.io');
  assert.throws(() => parseImageRef('  '), /empty image reference/);
});
