import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IEvent, IKeyValue } from 'etcd3';
import { StoreCompactedError, type WatchEvent } from '../store.js';
import {
  compactedError,
  groupByRevision,
  headerRevision,
  int64,
  leaseIdOf,
  leaseOfOps,
  prefixRange,
  toEtcdCompare,
  toKeyValue,
  toPutRequest,
  toRequestOp,
  toWatchEvent,
} from './etcd-mapping.js';

function kv(key: string, value: string, create: number, mod: number, version: number, lease = '0'): IKeyValue {
  return {
    key: Buffer.from(key),
    value: Buffer.from(value),
    create_revision: String(create),
    mod_revision: String(mod),
    version: String(version),
    lease,
  };
}

/** every key in `keys` that etcd's byte range [key, range_end) holds, compared as etcd does (bytes) */
function inRange(range: { key: Buffer; range_end: Buffer }, keys: string[]): string[] {
  const allFrom = range.range_end.equals(Buffer.from([0]));
  return keys.filter((k) => {
    const b = Buffer.from(k);
    return Buffer.compare(b, range.key) >= 0 && (allFrom || Buffer.compare(b, range.range_end) < 0);
  });
}

describe('prefixRange', () => {
  it('ends the range at the prefix with its last byte incremented', () => {
    assert.deepEqual(prefixRange('/a/b'), { key: Buffer.from('/a/b'), range_end: Buffer.from('/a/c') });
    assert.deepEqual(prefixRange('/apps/'), { key: Buffer.from('/apps/'), range_end: Buffer.from('/apps0') });
  });

  it('is a plain string prefix: /a/b holds /a/bc but not /a/c', () => {
    const keys = ['/a', '/a/b', '/a/b/c', '/a/bc', '/a/c', '/b', '/a/b\u00ff', '/a/b☃'];
    assert.deepEqual(inRange(prefixRange('/a/b'), keys), ['/a/b', '/a/b/c', '/a/bc', '/a/b\u00ff', '/a/b☃']);
    assert.deepEqual(inRange(prefixRange('/a/b/'), keys), ['/a/b/c']);
  });

  it('works on UTF-8 bytes for non-ASCII prefixes', () => {
    const range = prefixRange('/☃');
    assert.deepEqual(range.key, Buffer.from('/☃'));
    // U+2603 is e2 98 83: the last byte goes up by one
    assert.deepEqual(range.range_end, Buffer.from([0x2f, 0xe2, 0x98, 0x84]));
    assert.deepEqual(inRange(range, ['/☃', '/☃x', '/☄', '/x']), ['/☃', '/☃x']);
  });

  it('means every key for the empty prefix', () => {
    assert.deepEqual(prefixRange(''), { key: Buffer.from([0]), range_end: Buffer.from([0]) });
    assert.deepEqual(inRange(prefixRange(''), ['/', 'a', '\u0001']), ['/', 'a', '\u0001']);
  });

  it('does not change the caller\'s key buffer when building the end', () => {
    const range = prefixRange('ab');
    assert.equal(range.key.toString(), 'ab');
    assert.equal(range.range_end.toString(), 'ac');
  });
});

describe('responses to Store values', () => {
  it('maps a key-value with numbers from int64 strings', () => {
    assert.deepEqual(toKeyValue(kv('/k', 'héllo ☃', 5, 9, 3, '12345')), {
      key: '/k', value: 'héllo ☃', createRevision: 5, modRevision: 9, version: 3, lease: 12345,
    });
  });

  it('refuses revisions beyond 2^53 rather than rounding them', () => {
    assert.throws(() => int64('9007199254740993', 'revision'), /not a whole number below 2\^53/);
    assert.equal(int64('42', 'revision'), 42);
  });

  it('keeps a foreign 63-bit lease id as a (rounded) number instead of failing the read', () => {
    assert.equal(leaseIdOf('7587868912437127178'), 7587868912437127000);
    assert.equal(leaseIdOf('0'), 0);
  });

  it('maps put and delete events, with prevValue only when etcd sent the previous value', () => {
    const created: IEvent = { type: 'Put', kv: kv('/k', 'v1', 4, 4, 1), prev_kv: null as unknown as IKeyValue };
    const updated: IEvent = { type: 'Put', kv: kv('/k', 'v2', 4, 6, 2), prev_kv: kv('/k', 'v1', 4, 4, 1) };
    const deleted: IEvent = { type: 'Delete', kv: kv('/k', '', 0, 7, 0), prev_kv: kv('/k', 'v2', 4, 6, 2) };
    assert.deepEqual(toWatchEvent(created), { type: 'put', key: '/k', value: 'v1', revision: 4 });
    assert.ok(!('prevValue' in toWatchEvent(created)), 'no prevValue property at all for a new key');
    assert.deepEqual(toWatchEvent(updated), { type: 'put', key: '/k', value: 'v2', revision: 6, prevValue: 'v1' });
    assert.deepEqual(toWatchEvent(deleted), { type: 'delete', key: '/k', value: '', revision: 7, prevValue: 'v2' });
  });

  it('accepts etcd\'s upper-case event type names too', () => {
    const event = { type: 'DELETE', kv: kv('/k', '', 0, 3, 0), prev_kv: null } as unknown as IEvent;
    assert.equal(toWatchEvent(event).type, 'delete');
    assert.throws(() => toWatchEvent({ ...event, type: 'Other' } as unknown as IEvent), /unknown type/);
  });

  it('groups events by revision, keeping order', () => {
    const e = (key: string, revision: number): WatchEvent => ({ type: 'put', key, value: '', revision });
    assert.deepEqual(groupByRevision([e('a', 3), e('b', 3), e('c', 4), e('d', 6), e('e', 6)]), [
      [e('a', 3), e('b', 3)], [e('c', 4)], [e('d', 6), e('e', 6)],
    ]);
    assert.deepEqual(groupByRevision([]), []);
  });

  it('turns etcd\'s compact_revision (oldest kept) into StoreCompactedError\'s newest dropped', () => {
    const err = compactedError(3, 7);
    assert.ok(err instanceof StoreCompactedError);
    assert.equal(err.requested, 3);
    assert.equal(err.compacted, 6);
    assert.match(err.message, /oldest available is 7/);
  });

  it('reads the header revision', () => {
    assert.equal(headerRevision({ header: { revision: '17' } }), 17);
    assert.throws(() => headerRevision({ header: null }), /without a header/);
  });
});

describe('requests from Store values', () => {
  it('maps every compare target and operator', () => {
    const key = Buffer.from('/k');
    assert.deepEqual(toEtcdCompare({ key: '/k', target: 'modRevision', op: '=', value: 5 }), { key, target: 'Mod', result: 'Equal', mod_revision: 5 });
    assert.deepEqual(toEtcdCompare({ key: '/k', target: 'createRevision', op: '=', value: 0 }), { key, target: 'Create', result: 'Equal', create_revision: 0 });
    assert.deepEqual(toEtcdCompare({ key: '/k', target: 'version', op: '>', value: 2 }), { key, target: 'Version', result: 'Greater', version: 2 });
    assert.deepEqual(toEtcdCompare({ key: '/k', target: 'modRevision', op: '<', value: 9 }), { key, target: 'Mod', result: 'Less', mod_revision: 9 });
    assert.deepEqual(toEtcdCompare({ key: '/k', target: 'version', op: '!=', value: 1 }), { key, target: 'Version', result: 'NotEqual', version: 1 });
    assert.deepEqual(toEtcdCompare({ key: '/k', target: 'value', op: '=', value: 'x☃' }), { key, target: 'Value', result: 'Equal', value: Buffer.from('x☃') });
    assert.deepEqual(toEtcdCompare({ key: '/k', target: 'value', op: '!=', value: '' }), { key, target: 'Value', result: 'NotEqual', value: Buffer.from('') });
  });

  it('rejects malformed comparisons before sending them', () => {
    assert.throws(() => toEtcdCompare({ key: '/k', target: 'value', op: '>', value: 'x' } as never), /takes = or !=/);
    assert.throws(() => toEtcdCompare({ key: '/k', target: 'version', op: '=', value: 1.5 }), /whole number/);
    assert.throws(() => toEtcdCompare({ key: '/k', target: 'lease', op: '=', value: 1 } as never), /unknown compare target/);
    assert.throws(() => toEtcdCompare({ key: '/k', target: 'version', op: '>=', value: 1 } as never), /unknown compare operator/);
  });

  it('maps txn ops; a put without a lease sends lease 0, which detaches the key in etcd', () => {
    assert.deepEqual(toRequestOp({ type: 'put', key: '/k', value: 'v' }), {
      request_put: { key: Buffer.from('/k'), value: Buffer.from('v'), lease: 0 },
    });
    assert.deepEqual(toRequestOp({ type: 'put', key: '/k', value: 'v', lease: 77 }), {
      request_put: { key: Buffer.from('/k'), value: Buffer.from('v'), lease: 77 },
    });
    assert.deepEqual(toRequestOp({ type: 'delete', key: '/k' }), { request_delete_range: { key: Buffer.from('/k') } });
    assert.deepEqual(toRequestOp({ type: 'deletePrefix', prefix: '/d/' }), { request_delete_range: prefixRange('/d/') });
    assert.deepEqual(toPutRequest('/k', '', undefined), { key: Buffer.from('/k'), value: Buffer.from(''), lease: 0 });
  });

  it('checks ops with the same rules and messages as the SQLite backend', () => {
    assert.throws(() => toPutRequest('', 'v', undefined), /non-empty string key/);
    assert.throws(() => toPutRequest('/k', 42 as unknown as string, undefined), /must be a string/);
    assert.throws(() => toPutRequest('/k', 'v', 1.5), /must be a lease id/);
    assert.throws(() => toRequestOp({ type: 'delete', key: '' }), /non-empty string key/);
    assert.throws(() => toRequestOp({ type: 'deletePrefix', prefix: 3 } as never), /string prefix/);
    assert.throws(() => toRequestOp({ type: 'get', key: '/k' } as never), /unknown txn op type/);
  });

  it('finds the lease a branch puts with', () => {
    assert.equal(leaseOfOps([{ type: 'delete', key: '/a' }, { type: 'put', key: '/b', value: '' }, { type: 'put', key: '/c', value: '', lease: 9 }]), 9);
    assert.equal(leaseOfOps([{ type: 'put', key: '/b', value: '' }]), undefined);
  });
});
