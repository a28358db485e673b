/**
 * Raw HTTP/1.1 exchanges for tests of what a client library would hide: a client that sends a whole body
 * before reading, and the answers a connection carried, split by their Content-Length.
 */
import type { Socket } from 'node:net';

/**
 * Sends a request declaring a body of `bodyBytes` on `socket` (plain or TLS), then the body in 64 KB pieces a
 * few milliseconds apart, then `then` (a pipelined request), reading nothing until all of it is written, as a
 * client that sends first and reads after (a slow uploader on a loaded machine looks the same to the server).
 * Resolves with all the server answered before it closed, and the error the sending ran into, if any.
 */
export async function sendThenRead(socket: Socket, head: string, bodyBytes: number, then: string): Promise<{ answer: string; sendError?: string }> {
  let answer = '';
  let sendError: string | undefined;
  socket.on('error', (err: Error & { code?: string }) => (sendError = err.code ?? err.message));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('data', (d) => (answer += d));
  socket.pause();
  socket.write(`${head}Content-Length: ${bodyBytes}\r\n\r\n`);
  const piece = Buffer.alloc(64 * 1024, 'x');
  for (let sent = 0; sent < bodyBytes && !socket.destroyed; sent += piece.length) {
    socket.write(piece.subarray(0, Math.min(piece.length, bodyBytes - sent)));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  if (!socket.destroyed) socket.write(then);
  socket.resume();
  const giveUp = setTimeout(() => socket.destroy(), 10_000);
  await closed;
  clearTimeout(giveUp);
  return { answer, sendError };
}

/** The answers of an exchange, split by their Content-Length: status, headers (lower case) and JSON body. */
export function answers(text: string): Array<{ status: number; headers: Record<string, string>; body: { code?: string; message?: string } }> {
  const all = [];
  let rest = Buffer.from(text);
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    const [statusLine, ...lines] = rest.subarray(0, end).toString().split('\r\n');
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    const length = Number(headers['content-length']);
    all.push({ status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(rest.subarray(end + 4, end + 4 + length).toString()) as { code?: string; message?: string } });
    rest = rest.subarray(end + 4 + length);
  }
  return all;
}

/**
 * A hostile uploader: declares a body of `bodyBytes` on `socket` and sends it slowly (16 KB every 20 ms),
 * reading as it goes, and never ends its side of its own accord (`socket` must be made with
 * `allowHalfOpen: true`, or Node ends it when the server does). Stops after `giveUpMs`. Resolves with what
 * the server answered, how long after the first byte of the answer the connection closed, and whether
 * the server closed it (false: still open when the client gave up).
 */
export async function sendUntilClosed(socket: Socket, head: string, bodyBytes: number, giveUpMs: number): Promise<{ answer: string; closedByServer: boolean; openAfterAnswerMs?: number }> {
  let answer = '';
  let answeredAt: number | undefined;
  let closedByServer = true;
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
  socket.on('data', (d) => {
    answeredAt ??= Date.now();
    answer += d;
  });
  socket.write(`${head}Content-Length: ${bodyBytes}\r\n\r\n`);
  const piece = Buffer.alloc(16 * 1024, 'x');
  const giveUp = Date.now() + giveUpMs;
  for (let sent = 0; sent < bodyBytes && !socket.destroyed && Date.now() < giveUp; sent += piece.length) {
    socket.write(piece);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (!socket.destroyed) {
    closedByServer = false;
    socket.destroy();
  }
  const closedAt = await closed;
  return { answer, closedByServer, openAfterAnswerMs: answeredAt === undefined ? undefined : closedAt - answeredAt };
}
