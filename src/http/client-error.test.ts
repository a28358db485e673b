import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clientErrorAnswer, clientErrorOf } from './client-error.js';

describe('client-error', () => {
  it('maps parser and timeout codes to the catalogue', () => {
    assert.equal(clientErrorOf('HPE_HEADER_OVERFLOW').statusCode, 431);
    assert.equal(clientErrorOf('HPE_HEADER_OVERFLOW').code, 'HEADERS_TOO_LARGE');
    assert.equal(clientErrorOf('ERR_HTTP_REQUEST_TIMEOUT').statusCode, 408);
    assert.equal(clientErrorOf('HPE_INVALID_METHOD').code, 'BAD_HTTP');
    assert.match(clientErrorOf('HPE_INVALID_METHOD').message, /\(HPE_INVALID_METHOD\)/);
    assert.equal(clientErrorOf(undefined).statusCode, 400);
  });

  it('answers with Connection: close and a Content-Length that counts bytes', () => {
    const text = clientErrorAnswer(clientErrorOf('HPE_HEADER_OVERFLOW'));
    const [head, body] = text.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    assert.match(head, /\r\nConnection: close(\r\n|$)/);
    assert.equal(Number(/Content-Length: (\d+)/.exec(head)?.[1]), Buffer.byteLength(body));
    assert.deepEqual(Object.keys(JSON.parse(body)), ['statusCode', 'code', 'error', 'message']);
    assert.equal(JSON.parse(body).code, 'PAZ_HEADERS_TOO_LARGE');
  });
});
