import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basicAuthorization, dockerServerAddress, loginContext, loginHost, loginProblem, refusalReason, refusalStatus, xRegistryAuth } from './registry-auth.js';

test('a login is stored under one spelling of its registry host, and bad hosts say what is wrong', () => {
  assert.deepEqual(loginHost('ghcr.io'), { host: 'ghcr.io' });
  assert.deepEqual(loginHost('127.0.0.1:5001'), { host: '127.0.0.1:5001' });
  assert.deepEqual(loginHost('[::1]:5000'), { host: '[::1]:5000' });
  assert.deepEqual(loginHost('Registry.Example.COM:443'), { host: 'registry.example.com:443' });
  for (const hub of ['docker.io', 'registry-1.docker.io', 'index.docker.io', 'registry.hub.docker.com']) assert.deepEqual(loginHost(hub), { host: 'docker.io' });
  for (const bad of ['', 'ghcr.io/team', 'https://ghcr.io', 'a b', 'host:0', 'host:99999', '-host', 'ho$t', 'a\nb', '../etc', 'x'.repeat(300)]) {
    const r = loginHost(bad);
    assert.ok('problem' in r, `${JSON.stringify(bad)} accepted`);
    assert.match(r.problem, /^registry host /);
  }
  assert.equal(loginContext('ghcr.io'), 'registry:ghcr.io');
});

test('a login needs a username without colons or controls and a password', () => {
  assert.equal(loginProblem({ username: 'alice', password: 'ghp_token' }), undefined);
  assert.equal(loginProblem({ username: '_json_key', password: '{\n "type": "service_account"\n}' }), undefined, 'a multi-line JSON key is a valid password');
  assert.match(loginProblem({ password: 'x' })!, /username is required/);
  assert.match(loginProblem({ username: 'a:b', password: 'x' })!, /may not contain ":"/);
  assert.match(loginProblem({ username: 'a\nb', password: 'x' })!, /control characters/);
  assert.match(loginProblem({ username: 'alice', password: '' })!, /password .* is required/);
  assert.match(loginProblem({ username: 'alice', password: 42 })!, /password .* is required/);
  assert.match(loginProblem({ username: 'alice', password: 'x'.repeat(20_000) })!, /longer than/);
  assert.match(loginProblem({ username: 'alice', password: 'a\u0000b' })!, /NUL/);
});

test('X-Registry-Auth is URL-safe base64 of the auth config, padded, naming Docker Hub by its index URL', () => {
  const login = { username: 'alice', password: 'p>?>?/+é' };
  const header = xRegistryAuth(login, '127.0.0.1:5001');
  assert.match(header, /^[A-Za-z0-9_-]+=*$/);
  assert.equal(header.length % 4, 0, 'padded');
  const decoded = JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
  assert.deepEqual(decoded, { username: 'alice', password: 'p>?>?/+é', serveraddress: '127.0.0.1:5001' });
  assert.equal(dockerServerAddress('docker.io'), 'https://index.docker.io/v1/');
  assert.equal(JSON.parse(Buffer.from(xRegistryAuth(login, 'docker.io'), 'base64url').toString()).serveraddress, 'https://index.docker.io/v1/');
});

test('Basic authorization carries user:password in base64', () => {
  assert.equal(basicAuthorization({ username: 'alice', password: 's3cret' }), `Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
});

test('a refusal says which registry refused and what to do', () => {
  assert.equal(refusalReason('127.0.0.1:5001', 401, undefined), 'registry 127.0.0.1:5001 refused the pull (401): set credentials with paz registry login 127.0.0.1:5001');
  assert.match(refusalReason('ghcr.io', 403, 'alice'), /^registry ghcr.io refused the pull \(403\) with the credentials of alice: .*paz registry login ghcr.io$/);
});

test('Docker\'s pull errors that mean "credentials needed" are told apart from a missing image', () => {
  assert.equal(refusalStatus('Head "http://127.0.0.1:5001/v2/team/hello/manifests/1": no basic auth credentials'), 401);
  assert.equal(refusalStatus('unauthorized: authentication required'), 401);
  assert.equal(refusalStatus('Get "https://ghcr.io/token": unauthorized: incorrect username or password'), 401);
  assert.equal(refusalStatus('denied: requested access to the resource is denied'), 403);
  assert.equal(refusalStatus("pull access denied for team/app, repository does not exist or may require 'docker login': denied: requested access to the resource is denied"), undefined);
  assert.equal(refusalStatus('manifest for 127.0.0.1:5001/team/nothere:1 not found: manifest unknown'), undefined);
  assert.equal(refusalStatus('dial tcp 127.0.0.1:5001: connect: connection refused'), undefined);
});
