import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authOffProblem, isLoopback } from './loopback.js';

test('loopback addresses', () => {
  for (const a of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1']) assert.equal(isLoopback(a), true, a);
  for (const a of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.5', '128.0.0.1', 'example.com', '127.example.com', '', '::ffff:10.0.0.1', '1270.0.0.1']) assert.equal(isLoopback(a), false, a);
});

test('--no-auth is allowed only when every listener is loopback, and the refusal says why and what to do', () => {
  assert.equal(authOffProblem([{ flag: '--bind', address: '127.0.0.1' }, { flag: '--agent-bind', address: '::1' }]), undefined);
  const why = authOffProblem([{ flag: '--bind', address: '0.0.0.0' }, { flag: '--agent-bind', address: '127.0.0.1' }]);
  assert.match(why ?? '', /--bind 0\.0\.0\.0 without authentication/);
  assert.doesNotMatch(why ?? '', /--agent-bind/);
  assert.match(why ?? '', /drop --no-auth|bind to 127\.0\.0\.1/);
});
