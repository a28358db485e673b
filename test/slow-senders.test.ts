// Issue 9, Input: slow senders (a body that never completes, headers that trickle) are timed out by every
// API server, while long answers (GET /events) are not cut. Against a real `paz server` with a 1 s bound.
// test-lane: light
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { PazProcess, request } from './helpers/paz-server.js';

const BOUND_MS = 1_000;

/** Opens a connection, sends `first`, then calls `trickle` until closed; resolves with what came back and when. */
function slowSender(base: string, first: string, trickle?: () => string, everyMs = 200): Promise<{ answer: string; afterMs: number }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(Number(url.port), url.hostname, () => socket.write(first));
    let answer = '';
    const timer = trickle ? setInterval(() => socket.writable && socket.write(trickle()), everyMs) : undefined;
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`still open after 15 s: ${answer}`));
    }, 15_000);
    socket.on('data', (d) => (answer += d));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ answer, afterMs: Date.now() - started });
    });
  });
}

describe('slow senders', () => {
  const paz = new PazProcess({ env: { PAZ_HTTP_REQUEST_TIMEOUT_MS: String(BOUND_MS) } });
  before(() => paz.start());
  after(() => paz.close());

  for (const api of ['orchestrator', 'directory', 'scheduler'] as const) {
    it(`${api}: headers and half a body, then nothing: the connection is closed within the bound`, async () => {
      const { answer, afterMs } = await slowSender(
        paz[api],
        `POST /services HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":"slow-svc",`,
      );
      assert.ok(afterMs >= BOUND_MS * 0.9 && afterMs < BOUND_MS + 5_000, `closed after ${afterMs} ms`);
      assert.ok(answer === '' || /^HTTP\/1\.1 408/.test(answer), answer);
    });
  }

  it('a body that trickles one byte at a time is cut too', async () => {
    const { afterMs } = await slowSender(paz.orchestrator, `POST /services HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`, () => ' ');
    assert.ok(afterMs < BOUND_MS + 5_000, `closed after ${afterMs} ms`);
  });

  it('headers that trickle are cut', async () => {
    const { answer, afterMs } = await slowSender(paz.orchestrator, 'GET /health HTTP/1.1\r\nHost: x\r\n', () => 'X-a: b\r\n');
    assert.ok(afterMs < BOUND_MS + 5_000, `closed after ${afterMs} ms`);
    assert.ok(answer === '' || /^HTTP\/1\.1 408/.test(answer), answer);
    assert.equal((await request('GET', `${paz.orchestrator}/health`)).status, 200, 'the server still answers');
    assert.equal((await request('POST', `${paz.orchestrator}/services`, { name: 'quick-svc', dockerRepository: 'x' })).status, 201);
    assert.equal((await request('GET', `${paz.directory}/services/slow-svc`)).status, 404, 'nothing half-sent was stored');
  });

  it('GET /events stays open well past the bound and still delivers events', async () => {
    const res = await fetch(`${paz.orchestrator}/events`);
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    await new Promise((r) => setTimeout(r, BOUND_MS * 4));
    assert.equal((await request('POST', `${paz.orchestrator}/services`, { name: 'late-svc', dockerRepository: 'x' })).status, 201);
    let text = '';
    const deadline = Date.now() + 5_000;
    while (!text.includes('late-svc') && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    assert.match(text, /event: service\.create\n.*late-svc/);
    await reader.cancel();
  });
});
