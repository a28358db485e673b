import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionErrorMessage, isConnectionError } from './connection-error.js';

const failed = (code: string, message: string) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(message), { code }) });

test('an untrusted certificate: the reason and how to trust the CA', () => {
  const msg = connectionErrorMessage('https://127.0.0.1:9000/services', failed('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'));
  assert.match(msg, /^cannot reach https:\/\/127\.0\.0\.1:9000: self-signed certificate in certificate chain; .*NODE_EXTRA_CA_CERTS=/);
});

test('a certificate for another name: use a name it covers', () => {
  assert.match(connectionErrorMessage('https://10.0.0.1:9000/', failed('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames")), /does not match.*PAZ_URL host name/);
});

test('anything else: the cause, not "fetch failed"', () => {
  assert.equal(connectionErrorMessage('http://127.0.0.1:9/x', failed('EPROTO', 'wrong version number')), 'cannot reach http://127.0.0.1:9: wrong version number');
  assert.equal(connectionErrorMessage('http://127.0.0.1:9/x', new Error('boom')), 'cannot reach http://127.0.0.1:9: boom');
});

test('nothing listening: the URL and how to start Paz, from fetch and from node:http errors alike', () => {
  const hint = /^cannot reach http:\/\/127\.0\.0\.1:9: connect ECONNREFUSED 127\.0\.0\.1:9; is Paz running\? Start it with `paz up`, or point PAZ_URL/;
  assert.match(connectionErrorMessage('http://127.0.0.1:9/x', failed('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9')), hint);
  const httpError = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
  assert.match(connectionErrorMessage('http://127.0.0.1:9/x', httpError), hint);
  assert.equal(isConnectionError(httpError), true);
  assert.equal(isConnectionError(new Error('HTTP 500')), false);
});

test('the scheduler (paz journal) unreachable: says which setting points at it', () => {
  const httpError = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9002'), { code: 'ECONNREFUSED' });
  assert.match(connectionErrorMessage('http://127.0.0.1:9002/journal', httpError, 'PAZ_SCHEDULER_URL'), /or point PAZ_SCHEDULER_URL at where it runs$/);
});
