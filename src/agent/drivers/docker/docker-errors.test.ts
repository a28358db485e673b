import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DriverError } from '../driver.js';
import { classifyError, classifyPullError, classifyStartError, errorText, isDaemonUnreachable, isTimeout, withoutRepeats } from './docker-errors.js';

/** an error shaped like the ones dockerode builds from a daemon answer */
function dockerodeError(statusCode: number, message: string): Error {
  const reason = statusCode === 404 ? 'no such container' : 'server error';
  return Object.assign(new Error(`(HTTP code ${statusCode}) ${reason} - ${message} `), { statusCode, json: { message } });
}

// The messages below are what dockerd 20.10 answered in the test environment.
const MISSING_TAG = 'manifest for 127.0.0.1:5000/paz/hello:nope not found: manifest unknown: manifest unknown';
const DEAD_REGISTRY = 'Get "http://127.0.0.1:5999/v2/": dial tcp 127.0.0.1:5999: connect: connection refused';
const NO_DNS = 'Get "https://nonexistent.invalid/v2/": dial tcp: lookup nonexistent.invalid on 10.255.255.53:53: dial udp 10.255.255.53:53: connect: network is unreachable';
const PORT_TAKEN = 'driver failed programming external connectivity on endpoint bb (21ea): Bind for 0.0.0.0:18081 failed: port is already allocated';

test('errorText prefers the daemon message over dockerode\'s prefix', () => {
  assert.equal(errorText(dockerodeError(404, MISSING_TAG)), MISSING_TAG);
  assert.equal(errorText(new Error('(HTTP code 500) server error - boom ')), 'boom');
  assert.equal(errorText('plain'), 'plain');
});

test('a missing tag or repository is IMAGE_NOT_FOUND, from the HTTP answer or the stream', () => {
  for (const err of [dockerodeError(404, MISSING_TAG), MISSING_TAG, 'pull access denied for x, repository does not exist']) {
    const e = classifyPullError(err, '127.0.0.1:5000/paz/hello:nope', '127.0.0.1:5000');
    assert.ok(e instanceof DriverError);
    assert.equal(e.code, 'IMAGE_NOT_FOUND');
    assert.match(e.message, /127\.0\.0\.1:5000\/paz\/hello:nope/);
  }
  // Docker's "manifest unknown: manifest unknown" said once
  assert.equal(classifyPullError(MISSING_TAG, '127.0.0.1:5000/paz/hello:nope', '127.0.0.1:5000').message, 'image 127.0.0.1:5000/paz/hello:nope not found in registry 127.0.0.1:5000: manifest for 127.0.0.1:5000/paz/hello:nope not found: manifest unknown');
  assert.equal(withoutRepeats('a: b: b: c: b'), 'a: b: c: b');
});

test('an unreachable registry is REGISTRY_UNREACHABLE and names the registry', () => {
  const e = classifyPullError(dockerodeError(500, DEAD_REGISTRY), '127.0.0.1:5999/paz/hello:1', '127.0.0.1:5999');
  assert.equal(e.code, 'REGISTRY_UNREACHABLE');
  assert.match(e.message, /registry 127\.0\.0\.1:5999 unreachable/);
  assert.match(e.message, /connection refused/);
  assert.equal(classifyPullError(dockerodeError(500, NO_DNS), 'x', 'nonexistent.invalid').code, 'REGISTRY_UNREACHABLE');
  const https = classifyPullError('http: server gave HTTP response to HTTPS client', 'x', '10.0.0.1:5000');
  assert.equal(https.code, 'REGISTRY_UNREACHABLE');
  assert.match(https.message, /insecure-registry/);
});

test('a registry refusing the pull is REGISTRY_AUTH and says how to set credentials', () => {
  // what dockerd 20.10 answered for a docker-registry with htpasswd auth: no credentials, then wrong ones
  const none = classifyPullError(dockerodeError(500, 'Head "http://127.0.0.1:5001/v2/team/hello/manifests/1": no basic auth credentials'), '127.0.0.1:5001/team/hello:1', '127.0.0.1:5001');
  assert.equal(none.code, 'REGISTRY_AUTH');
  assert.match(none.message, /^registry 127\.0\.0\.1:5001 refused the pull \(401\): set credentials with paz registry login 127\.0\.0\.1:5001 /);
  const wrong = classifyPullError(dockerodeError(500, 'unauthorized: authentication required'), '127.0.0.1:5001/team/hello:1', '127.0.0.1:5001', 'alice');
  assert.equal(wrong.code, 'REGISTRY_AUTH');
  assert.match(wrong.message, /refused the pull \(401\) with the credentials of alice/);
  assert.equal(classifyPullError('denied: requested access to the resource is denied', 'ghcr.io/a/b:1', 'ghcr.io', 'alice').code, 'REGISTRY_AUTH');
  // Docker Hub's answer for a private or missing repository stays IMAGE_NOT_FOUND, with the hint
  const hub = classifyPullError("pull access denied for team/app, repository does not exist or may require 'docker login': denied: requested access to the resource is denied", 'team/app:1', 'docker.io');
  assert.equal(hub.code, 'IMAGE_NOT_FOUND');
  assert.match(hub.message, /if it is private: paz registry login docker\.io/);
});

test('other pull failures are PULL_FAILED; DriverErrors pass through', () => {
  assert.equal(classifyPullError(dockerodeError(500, 'received unexpected HTTP status: 502 Bad Gateway'), 'x', 'r').code, 'PULL_FAILED');
  const original = new DriverError('REGISTRY_UNREACHABLE', 'mine');
  assert.equal(classifyPullError(original, 'x', 'r'), original);
});

test('a socket that is not there is DAEMON_UNREACHABLE', () => {
  const enoent = Object.assign(new Error('connect ENOENT /nope.sock'), { code: 'ENOENT', address: '/nope.sock' });
  assert.equal(isDaemonUnreachable(enoent), true);
  assert.equal(isDaemonUnreachable(dockerodeError(500, 'x')), false);
  const e = classifyPullError(enoent, 'x', 'r');
  assert.equal(e.code, 'DAEMON_UNREACHABLE');
  assert.match(e.message, /\/nope\.sock/);
  assert.equal((classifyError(enoent, 'stop x') as DriverError).code, 'DAEMON_UNREACHABLE');
});

test('start failures: port taken, image missing, anything else', () => {
  const taken = classifyStartError(dockerodeError(500, PORT_TAKEN), 'demo-1-1', 'img');
  assert.equal(taken.code, 'PORT_IN_USE');
  assert.match(taken.message, /demo-1-1/);
  const noImage = classifyStartError(dockerodeError(404, 'No such image: nope/x:1'), 'demo-1-1', 'nope/x:1');
  assert.equal(noImage.code, 'IMAGE_NOT_FOUND');
  assert.match(noImage.message, /pull it first/);
  assert.equal(classifyStartError(dockerodeError(500, 'OCI runtime create failed'), 'u', 'i').code, 'START_FAILED');
});

test('classifyError: 404 is NOT_FOUND, the rest a plain Error with a cause', () => {
  const notFound = classifyError(dockerodeError(404, 'No such container: u'), 'stop u');
  assert.ok(notFound instanceof DriverError);
  assert.equal(notFound.code, 'NOT_FOUND');
  const original = dockerodeError(500, 'disk full');
  const other = classifyError(original, 'stop u');
  assert.ok(!(other instanceof DriverError));
  assert.equal(other.message, 'stop u: disk full');
  assert.equal(other.cause, original);
});

test('a request past its deadline means the daemon did not answer in time', async () => {
  const signal = AbortSignal.timeout(1);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const reason = signal.reason as Error; // what an aborted request rejects with
  assert.equal(isTimeout(reason), true);
  assert.equal(isTimeout(new Error('x')), false);
  const e = classifyError(reason, 'inspect u') as DriverError;
  assert.equal(e.code, 'DAEMON_UNREACHABLE');
  assert.match(e.message, /inspect u: the Docker daemon did not answer in time/);
  assert.equal(classifyStartError(reason, 'u', 'i').code, 'DAEMON_UNREACHABLE');
});
