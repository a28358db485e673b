import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyValue } from '../store.js';
import { assertNoDuplicateWrites, compareHolds } from './txn-rules.js';

const kv: KeyValue = { key: '/k', value: 'v', createRevision: 3, modRevision: 7, version: 2, lease: 0 };

describe('compareHolds', () => {
  it('compares numeric targets with every operator', () => {
    assert.equal(compareHolds(kv, { key: '/k', target: 'modRevision', op: '=', value: 7 }), true);
    assert.equal(compareHolds(kv, { key: '/k', target: 'modRevision', op: '!=', value: 7 }), false);
    assert.equal(compareHolds(kv, { key: '/k', target: 'createRevision', op: '<', value: 4 }), true);
    assert.equal(compareHolds(kv, { key: '/k', target: 'createRevision', op: '>', value: 3 }), false);
    assert.equal(compareHolds(kv, { key: '/k', target: 'version', op: '>', value: 1 }), true);
  });

  it('treats an absent key as revision and version 0', () => {
    assert.equal(compareHolds(undefined, { key: '/k', target: 'createRevision', op: '=', value: 0 }), true);
    assert.equal(compareHolds(undefined, { key: '/k', target: 'version', op: '>', value: 0 }), false);
    assert.equal(compareHolds(kv, { key: '/k', target: 'createRevision', op: '=', value: 0 }), false);
  });

  it('fails every value comparison on an absent key', () => {
    assert.equal(compareHolds(undefined, { key: '/k', target: 'value', op: '=', value: '' }), false);
    assert.equal(compareHolds(undefined, { key: '/k', target: 'value', op: '!=', value: 'x' }), false);
    assert.equal(compareHolds(kv, { key: '/k', target: 'value', op: '!=', value: 'x' }), true);
    assert.equal(compareHolds(kv, { key: '/k', target: 'value', op: '=', value: 'v' }), true);
  });
});

describe('assertNoDuplicateWrites', () => {
  it('accepts distinct keys and overlapping deletes', () => {
    assertNoDuplicateWrites([
      { type: 'put', key: '/a', value: '1' },
      { type: 'put', key: '/b', value: '2' },
      { type: 'delete', key: '/c' },
      { type: 'deletePrefix', prefix: '/c' },
    ]);
  });

  it('rejects two puts of one key', () => {
    assert.throws(() => assertNoDuplicateWrites([
      { type: 'put', key: '/a', value: '1' },
      { type: 'put', key: '/a', value: '2' },
    ]), /twice/);
  });

  it('rejects a put covered by a delete or deletePrefix', () => {
    assert.throws(() => assertNoDuplicateWrites([{ type: 'put', key: '/a', value: '1' }, { type: 'delete', key: '/a' }]), /puts and deletes/);
    assert.throws(() => assertNoDuplicateWrites([{ type: 'deletePrefix', prefix: '/a/' }, { type: 'put', key: '/a/x', value: '1' }]), /puts and deletes/);
  });
});
