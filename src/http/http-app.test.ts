import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_REQUEST_TIMEOUT_MS, httpTimeouts } from './http-app.js';

test('request timeouts: PAZ_HTTP_REQUEST_TIMEOUT_MS or 30 s; headers within it; checked often enough to matter', () => {
  assert.deepEqual(httpTimeouts({}), { requestTimeout: DEFAULT_REQUEST_TIMEOUT_MS, headersTimeout: 20_000, connectionsCheckingInterval: 1_000 });
  assert.deepEqual(httpTimeouts({ PAZ_HTTP_REQUEST_TIMEOUT_MS: '1000' }), { requestTimeout: 1_000, headersTimeout: 1_000, connectionsCheckingInterval: 100 });
  assert.equal(httpTimeouts({ PAZ_HTTP_REQUEST_TIMEOUT_MS: '100' }).connectionsCheckingInterval, 50);
  for (const bad of ['0', '-1', 'soon']) assert.equal(httpTimeouts({ PAZ_HTTP_REQUEST_TIMEOUT_MS: bad }).requestTimeout, DEFAULT_REQUEST_TIMEOUT_MS);
});
