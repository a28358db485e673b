// Issue 9, Input: an event-stream client that stops reading is dropped once more than
// PAZ_EVENTS_MAX_BUFFERED_BYTES wait for it, so it can't grow server memory without bound; a client that
// reads is unaffected. Against a real `paz server`; memory is not measured (the bound is what is asserted).
// test-lane: light
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { PazProcess, request } from './helpers/paz-server.js';

const LIMIT = 1024 * 1024;

interface Client {
  socket: Socket;
  bytes: number;
  lastId: number;
  ended: boolean;
  ready: Promise<void>;
  closed: Promise<void>;
}

/** A raw HTTP/1.1 client of GET /events that records bytes and the last event id it has read. */
function sseClient(base: string): Client {
  const url = new URL(base);
  const socket = connect(Number(url.port), url.hostname);
  let tail = '';
  const c: Client = { socket, bytes: 0, lastId: 0, ended: false, ready: undefined as never, closed: undefined as never };
  c.ready = new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.on('data', (d: Buffer) => {
      c.bytes += d.length;
      const scan = tail + d.toString('latin1');
      for (const m of scan.matchAll(/\nid: (\d+)\n/g)) c.lastId = Math.max(c.lastId, Number(m[1]));
      tail = scan.slice(-64);
      if (/paz events since revision/.test(scan)) resolve();
    });
  });
  c.closed = new Promise((resolve) => socket.once('close', () => ((c.ended = true), resolve())));
  socket.on('error', () => {});
  socket.write(`GET /events HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n\r\n`);
  return c;
}

describe('slow event-stream clients', () => {
  const paz = new PazProcess({ env: { PAZ_EVENTS_MAX_BUFFERED_BYTES: String(LIMIT) }, extraArgs: ['--log-level', 'info'] }); // the drop is logged at info: a client's problem, not the operator's
  before(async () => {
    await paz.start();
    assert.equal((await request('POST', `${paz.orchestrator}/services`, { name: 'chatty-svc', dockerRepository: 'x' })).status, 201);
  });
  after(() => paz.close());

  it('a client that never reads is dropped once it is behind by more than the bound; a reading client gets every event', async () => {
    const slow = sseClient(paz.orchestrator);
    const reader = sseClient(paz.orchestrator);
    await Promise.all([slow.ready, reader.ready]);
    slow.socket.pause(); // never reads again: the kernel buffers fill, then Node's
    const big = 'x'.repeat(200_000);
    // 150 events of ~200 KB: ~30 MB, far beyond loopback socket buffers plus the 1 MiB bound
    for (let i = 0; i < 150; i++) {
      const res = await request('PATCH', `${paz.orchestrator}/services/chatty-svc/config/next`, { env: { BIG: `${i}${big}` } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    const total = 150 * 200_000;
    // the reader catches up and is still connected
    const deadline = Date.now() + 30_000;
    while (reader.bytes < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(reader.bytes >= total, `the reading client got ${reader.bytes} of ${total} bytes`);
    assert.equal(reader.ended, false, 'the reading client is still connected');
    // the server dropped the slow client: its log says so, and once it reads again it finds the stream ended early
    assert.match(paz.output, /event-stream client is not reading: dropped/);
    slow.socket.resume();
    const droppedAt = slow.bytes;
    await Promise.race([slow.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the slow client was never disconnected')), 20_000))]);
    console.log(`# slow client: ${slow.bytes} bytes read before the drop (${droppedAt} while paused), reader: ${reader.bytes}`);
    assert.ok(slow.bytes < total / 2, `the slow client got ${slow.bytes} bytes before it was dropped (of ${total})`);
    assert.ok(slow.lastId < reader.lastId, `the slow client stopped at event ${slow.lastId}, the reader reached ${reader.lastId}`);
    // it resumes where it stopped
    const res = await fetch(`${paz.orchestrator}/events`, { headers: { 'last-event-id': String(slow.lastId) }, signal: AbortSignal.timeout(5_000) }).catch((e: Error) => e);
    assert.ok(!(res instanceof Error) && res.status === 200, String(res instanceof Error ? res.message : res.status));
    await res.body?.cancel();
    reader.socket.destroy();
  });
});
