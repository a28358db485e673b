import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyError } from 'fastify';
import { DEFAULT_REQUEST_TIMEOUT_MS, httpTimeouts, toPazError } from './http-app.js';
import { LeaseNotFoundError, StoreFullError, StoreUnavailableError, StoreWriteOutcomeUnknownError } from '../store/store.js';

test('request timeouts: PAZ_HTTP_REQUEST_TIMEOUT_MS or 30 s; headers within it; checked often enough to matter', () => {
  assert.deepEqual(httpTimeouts({}), { requestTimeout: DEFAULT_REQUEST_TIMEOUT_MS, headersTimeout: 20_000, connectionsCheckingInterval: 1_000 });
  assert.deepEqual(httpTimeouts({ PAZ_HTTP_REQUEST_TIMEOUT_MS: '1000' }), { requestTimeout: 1_000, headersTimeout: 1_000, connectionsCheckingInterval: 100 });
  assert.equal(httpTimeouts({ PAZ_HTTP_REQUEST_TIMEOUT_MS: '100' }).connectionsCheckingInterval, 50);
  for (const bad of ['0', '-1', 'soon']) assert.equal(httpTimeouts({ PAZ_HTTP_REQUEST_TIMEOUT_MS: bad }).requestTimeout, DEFAULT_REQUEST_TIMEOUT_MS);
});

test('a store that cannot be reached, or answers too late, is a 503 PAZ_STORE_UNAVAILABLE; only the unforeseen is a 500', () => {
  const of = (err: Error) => toPazError(err as FastifyError);
  const unreachable = [
    new StoreUnavailableError('etcd://10.0.0.1:2379', '4 DEADLINE_EXCEEDED: Deadline exceeded after 4.000s (nothing was written)'),
    new StoreWriteOutcomeUnknownError('etcd://10.0.0.1:2379', '10.0.0.1:2379: 2 UNKNOWN: etcdserver: request cancelled'),
    // a service's write lock granted, and its lease gone before the txn that takes the lock was answered
    new LeaseNotFoundError(1234),
  ];
  for (const err of unreachable) {
    const answer = of(err);
    assert.equal(answer.code, 'STORE_UNAVAILABLE', err.message);
    assert.equal(answer.statusCode, 503);
  }
  assert.equal(of(new Error('a bug')).statusCode, 500);
});

test("a store out of space is a 507 PAZ_STORE_FULL that keeps the store's fix and says nothing was written", () => {
  const answer = toPazError(new StoreFullError('sqlite:/var/lib/paz/paz.db', 'the disk holding its file is full (SQLite: database or disk is full): free space on that disk') as unknown as FastifyError);
  assert.equal(answer.code, 'STORE_FULL');
  assert.equal(answer.statusCode, 507);
  assert.match(answer.message, /^sqlite:\/var\/lib\/paz\/paz\.db refuses writes: .*free space on that disk\. Nothing of this request was written/);
});
