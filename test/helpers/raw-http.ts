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
