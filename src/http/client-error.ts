/**
 * Paz's answer to a request Node's HTTP parser refuses before any route or hook sees it: headers past
 * Node's size limit, a malformed request line or header, a request that took longer than the request
 * timeout to arrive. The answer has the catalogue's error shape and says `Connection: close`, because the
 * connection is closed right after it.
 *
 * Why not fastify's default: it answers without `Connection: close` and then closes. A keep-alive client
 * (Node's fetch, undici) reads a complete answer, puts the connection back in its pool, and its next request
 * on it, however harmless, fails with "other side closed". The OpenAPI fuzz test saw exactly that: the request
 * after a 431 for a 20 KB header failed, and CI failed with it.
 */
import { maxHeaderSize } from 'node:http';
import type { Socket } from 'node:net';
import { ErrorCodes, PazError, errorBody } from '../core/errors.js';
import { PAZ_VERSION } from '../version.js';
import { closeInStages } from './lingering-close.js';

/** The catalogue error for a parser or timeout error's code (`HPE_…`, `ERR_HTTP_REQUEST_TIMEOUT`). */
export function clientErrorOf(code: string | undefined): PazError {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new PazError('REQUEST_TIMEOUT', 'the request (headers and body) did not arrive within the server\'s request timeout: send it in one go, or raise PAZ_HTTP_REQUEST_TIMEOUT_MS on the server');
    case 'HPE_HEADER_OVERFLOW':
      return new PazError('HEADERS_TOO_LARGE', `the request's headers are larger than ${maxHeaderSize} bytes: send fewer or smaller headers`);
    default:
      return new PazError('BAD_HTTP', `the request is not valid HTTP/1.1 (${code ?? 'unreadable'}): check the request line and headers your client sends`);
  }
}

/** The whole HTTP answer, as written to the socket. */
export function clientErrorAnswer(err: PazError): string {
  const body = JSON.stringify(errorBody(err));
  return (
    `HTTP/1.1 ${err.statusCode} ${ErrorCodes[err.code].title}\r\n` +
    'Connection: close\r\n' +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    `x-api-version: ${PAZ_VERSION}\r\n` +
    `\r\n${body}`
  );
}

/** Connections already answered: the parser, failed for good, reports every later chunk as another error. */
const answered = new WeakSet<Socket>();

/**
 * The server's 'clientError' listener: answers unless an answer is under way on the connection, then closes
 * its side, lingers while the client finishes sending (after a parser error only: lingering-close.ts), and
 * closes. A keep-alive connection's earlier answers don't matter (a bad second request still gets its 400).
 */
export function onClientError(err: Error & { code?: string }, socket: Socket): void {
  // a reset connection is gone: there is nobody to answer
  if (err.code === 'ECONNRESET' || socket.destroyed || answered.has(socket)) return;
  answered.add(socket);
  // as Node's own listener: a half-written answer (the request timed out while its answer streamed) can't be
  // followed by another; `_httpMessage` is the connection's in-flight answer
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const answer = clientErrorAnswer(clientErrorOf(err.code));
  // a timed-out request's parser still works: lingering would let the rest of a late request through to a route
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    socket.end(answer);
    socket.destroy();
    return;
  }
  // the client may still be sending (a body behind oversized headers): closing at once would reset the
  // connection and lose the answer
  closeInStages(socket, answer);
}
