import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { splitRepositoryTag } from './engine-client.js';

describe('splitRepositoryTag', () => {
  it('splits a tag or a digest off, as the docker CLI sends a pull', () => {
    assert.deepEqual(splitRepositoryTag('nginx:1.25'), { fromImage: 'nginx', tag: '1.25' });
    assert.deepEqual(splitRepositoryTag('127.0.0.1:5000/paz/hello:2'), { fromImage: '127.0.0.1:5000/paz/hello', tag: '2' });
    assert.deepEqual(splitRepositoryTag(`registry:5000/app@sha256:${'a'.repeat(64)}`), { fromImage: 'registry:5000/app', tag: `sha256:${'a'.repeat(64)}` });
  });

  it("leaves a reference without a tag whole (a registry port's colon is not a tag)", () => {
    assert.deepEqual(splitRepositoryTag('registry:5000/app'), { fromImage: 'registry:5000/app' });
    assert.deepEqual(splitRepositoryTag('busybox'), { fromImage: 'busybox' });
  });
});
