import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_DOCKER_SOCKET, describeWhere, parseDockerHost } from './docker-host.js';

test('unix sockets, plain paths and the default', () => {
  assert.deepEqual(parseDockerHost('unix:///tmp/t/docker.sock'), { socketPath: '/tmp/t/docker.sock' });
  assert.deepEqual(parseDockerHost('/run/docker.sock'), { socketPath: '/run/docker.sock' });
  assert.deepEqual(parseDockerHost(undefined), { socketPath: DEFAULT_DOCKER_SOCKET });
  assert.deepEqual(parseDockerHost(''), { socketPath: DEFAULT_DOCKER_SOCKET });
});

test('tcp addresses become plain HTTP', () => {
  assert.deepEqual(parseDockerHost('tcp://127.0.0.1:2375'), { protocol: 'http', host: '127.0.0.1', port: 2375 });
  assert.deepEqual(parseDockerHost('tcp://127.0.0.1'), { protocol: 'http', host: '127.0.0.1', port: 2375 });
});

test('nonsense is rejected with the value in the message', () => {
  assert.throws(() => parseDockerHost('ssh://me@host'), /ssh:\/\/me@host/);
  assert.throws(() => parseDockerHost('unix://relative.sock'), /absolute/);
});

test('describeWhere', () => {
  assert.equal(describeWhere({ socketPath: '/x.sock' }), '/x.sock');
  assert.equal(describeWhere({ protocol: 'http', host: 'h', port: 1 }), 'tcp://h:1');
});
