import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configPatch, secretsOf } from './config-edit.js';

const current = { numInstances: 1, ports: [{ container: 9000 }], env: { A: '1', S: { secret: true, fingerprint: 'abcdef012345' } } };

describe('configPatch', () => {
  it('sends only the changed top-level fields, whole', () => {
    const r = configPatch(current, JSON.stringify({ ...current, env: { ...current.env, A: '2' } }));
    assert.deepEqual(r, { ok: true, patch: { env: { A: '2', S: { secret: true, fingerprint: 'abcdef012345' } } }, removed: [] });
  });
  it('ignores key order', () => {
    const r = configPatch(current, JSON.stringify({ env: { S: { fingerprint: 'abcdef012345', secret: true }, A: '1' }, ports: [{ container: 9000 }], numInstances: 1 }));
    assert.deepEqual(r, { ok: true, patch: {}, removed: [] });
  });
  it('says which fields a shallow merge cannot remove', () => {
    const r = configPatch(current, JSON.stringify({ numInstances: 1, env: current.env }));
    assert.deepEqual(r, { ok: true, patch: {}, removed: ['ports'] });
  });
  it('refuses text that is not a JSON object', () => {
    assert.equal(configPatch(current, '{').ok, false);
    assert.deepEqual(configPatch(current, '[1]'), { ok: false, message: 'the config must be a JSON object ({ … })' });
  });
});

describe('secretsOf', () => {
  it('lists secrets with their fingerprints, never plain values', () => {
    assert.deepEqual(secretsOf(current), [{ key: 'S', fingerprint: 'abcdef012345' }]);
    assert.deepEqual(secretsOf(undefined), []);
  });
});
