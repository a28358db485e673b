import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProfileConfig, resolveConnection, urlProblem, withScheme, type ConnectionInputs } from './connection.js';

const config = { current: 'prod', profiles: { prod: { url: 'https://paz.example:9000', token: 'prod-token' }, local: { url: '127.0.0.1:9000', token: 'local-token' } } };
const inputs = (over: Partial<ConnectionInputs> = {}): ConnectionInputs => ({ flags: {}, env: {}, config, configPath: '/cfg.json', ...over });

test('the current profile, unless another is named by --profile or PAZ_PROFILE (the flag first)', () => {
  assert.deepEqual(resolveConnection(inputs()), { url: 'https://paz.example:9000', token: 'prod-token', tokenSource: 'the token of profile prod (/cfg.json): log in again with `paz login https://paz.example:9000 --profile prod`', profile: 'prod' });
  assert.equal(resolveConnection(inputs({ env: { PAZ_PROFILE: 'local' } })).url, 'http://127.0.0.1:9000');
  assert.equal(resolveConnection(inputs({ env: { PAZ_PROFILE: 'prod' }, flags: { profile: 'local' } })).token, 'local-token');
});

test('--url and PAZ_URL beat profiles, and a profile token is never sent to another URL', () => {
  const c = resolveConnection(inputs({ env: { PAZ_URL: 'http://10.1.1.1:9000' } }));
  assert.equal(c.url, 'http://10.1.1.1:9000');
  assert.equal(c.token, undefined, 'falls back to the admin token file');
  assert.equal(resolveConnection(inputs({ flags: { url: 'https://paz.example:9000/' } })).token, 'prod-token', 'the same URL keeps its token');
  assert.equal(resolveConnection(inputs({ flags: { url: 'http://x:1' }, env: { PAZ_URL: 'http://y:2' } })).url, 'http://x:1');
});

test('a profile named with --profile beats PAZ_URL and PAZ_TOKEN; PAZ_PROFILE does not', () => {
  const c = resolveConnection(inputs({ flags: { profile: 'local' }, env: { PAZ_URL: 'http://10.1.1.1:9000', PAZ_TOKEN: 'env' } }));
  assert.deepEqual([c.url, c.token, c.profile], ['http://127.0.0.1:9000', 'local-token', 'local']);
  assert.equal(resolveConnection(inputs({ flags: { profile: 'local', url: 'http://x:1' } })).url, 'http://x:1', '--url still beats it');
  assert.equal(resolveConnection(inputs({ env: { PAZ_PROFILE: 'local', PAZ_URL: 'http://10.1.1.1:9000' } })).url, 'http://10.1.1.1:9000');
});

test('--token beats PAZ_TOKEN beats the profile', () => {
  assert.equal(resolveConnection(inputs({ env: { PAZ_TOKEN: 'env' } })).token, 'env');
  assert.equal(resolveConnection(inputs({ env: { PAZ_TOKEN: 'env' }, flags: { token: 'flag' } })).token, 'flag');
});

test('no profiles: the default URL and no token (the admin token file)', () => {
  assert.deepEqual(resolveConnection(inputs({ config: { profiles: {} } })), { url: 'http://127.0.0.1:9000', profile: undefined });
});

test('an unknown profile is an error with the nearest name and how to make it', () => {
  assert.throws(() => resolveConnection(inputs({ flags: { profile: 'prd' } })), /no profile named prd \(did you mean prod\?\) in \/cfg.json; make it with `paz login URL --profile prd`/);
});

test('a broken profile file is named, with what is wrong', () => {
  assert.throws(() => parseProfileConfig('{', '/cfg.json'), /\/cfg.json is not valid JSON/);
  assert.throws(() => parseProfileConfig('{"profiles":{"a":{}}}', '/cfg.json'), /profile a needs a "url"/);
  assert.deepEqual(parseProfileConfig('{"current":"a","profiles":{"a":{"url":"u"}}}', '/c'), { current: 'a', profiles: { a: { url: 'u' } } });
});

test('server URLs: a bare host:port gets http://; what is not an http(s) URL is said in words, not "Invalid URL"', () => {
  assert.equal(withScheme('127.0.0.1:9000'), 'http://127.0.0.1:9000');
  assert.equal(withScheme('https://paz.example.com:9000/'), 'https://paz.example.com:9000');
  assert.equal(withScheme('ftp://x'), 'ftp://x', 'another scheme is not a host named ftp');
  assert.equal(urlProblem(withScheme('127.0.0.1:9000')), undefined);
  assert.equal(urlProblem('https://paz.example.com'), undefined);
  assert.equal(urlProblem(withScheme('not a url')), '"not a url" is not a URL (e.g. https://paz.example.com:9000 or 127.0.0.1:9000)');
  assert.match(urlProblem(withScheme('127.0.0.1:99999'))!, /"127\.0\.0\.1:99999" is not a URL/);
  assert.match(urlProblem(withScheme('http://[::1'))!, /is not a URL/);
  assert.equal(urlProblem(withScheme('ftp://x')), 'ftp://x is not an http:// or https:// URL (e.g. https://paz.example.com:9000)');
});
