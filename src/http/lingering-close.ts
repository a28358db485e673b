/**
 * Closing a connection in stages (RFC 9112 §9.6), for answers given before the client finished sending: a 413
 * for a body past the limit, a 431 for oversized headers with a body behind them. Node closes such a connection
 * as soon as the answer is written; what the client still sends then reaches a closed socket, the kernel answers
 * it with a reset, and the client sees EPIPE or "other side closed" instead of the answer (a loaded CI machine
 * saw it once for `bad-input`'s 2 MB body). Here the server ends its side after the answer, keeps reading and
 * throwing away what arrives, and closes once the client ends or after LINGER_MS (Go's net/http does the same,
 * `closeWriteAndWait`).
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** How long a closing connection keeps reading what its client still sends: a hostile client can't hold it longer. */
export const LINGER_MS = 2_000;

/** Connections closing in stages: the HTTP parser must not start on another request that arrives meanwhile. */
const closing = new WeakSet<Socket>();

/** Whether the connection is closing in stages: a request read from it now is not to be answered. */
export function isClosingInStages(socket: Socket | null | undefined): boolean {
  return socket !== null && socket !== undefined && closing.has(socket);
}

/** Ends the connection's side after `lastWrite` (if any) and what is already written, then lingers (above). */
export function closeInStages(socket: Socket, lastWrite?: string): void {
  if (closing.has(socket)) return;
  closing.add(socket);
  if (lastWrite === undefined) socket.end();
  else socket.end(lastWrite);
  const linger = setTimeout(() => socket.destroy(), LINGER_MS);
  linger.unref();
  socket.once('close', () => clearTimeout(linger));
}

/**
 * Makes the close that follows an answer with `Connection: close` a staged one when the request's body was not
 * all read (a body refused for its size). Node closes after such an answer through the socket's `destroySoon`;
 * where a Node version no longer calls it, the close is an immediate one again, as before.
 */
export function closeInStagesAfterAnswer(req: IncomingMessage): void {
  if (req.complete) return;
  const socket = req.socket as Socket & { destroySoon?: () => void };
  socket.destroySoon = () => closeInStages(socket);
}
