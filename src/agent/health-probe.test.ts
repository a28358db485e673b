import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bodyLine, httpProbe } from './health-probe.js';

test("a failed answer's body is quoted when it is text or JSON, first line, cut short", () => {
  assert.equal(bodyLine(undefined, 'database connection lost\n'), 'database connection lost');
  assert.equal(bodyLine('text/plain; charset=utf-8', '\n\n  disk full  \nmore'), 'disk full');
  assert.equal(bodyLine('application/json', '{"status":"down","db":"timeout"}'), '{"status":"down","db":"timeout"}');
  assert.equal(bodyLine('application/problem+json', '{"title":"Service Unavailable"}'), '{"title":"Service Unavailable"}');
  assert.equal(bodyLine('text/html', '<html><body>503</body></html>'), undefined, 'an HTML page says nothing in one line');
  assert.equal(bodyLine('application/octet-stream', 'x'), undefined);
  assert.equal(bodyLine(undefined, '   \n'), undefined);
  assert.equal(bodyLine(undefined, `\u001b[31m${'y'.repeat(500)}`)!.length, 100);
  assert.ok(!bodyLine(undefined, '\u001b[31mred\u001b[0m')!.includes('\u001b'));
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

test('the probe of a real app: a 503 with a reason says it; an HTML 503 and a body that never ends do not hang it', async () => {
  const { server, port } = await serve((req, res) => {
    if (req.url === '/text') {
      res.statusCode = 503;
      return res.end('database connection lost');
    }
    if (req.url === '/html') {
      res.writeHead(503, { 'content-type': 'text/html' });
      return res.end('<html><body><h1>Service Unavailable</h1></body></html>');
    }
    if (req.url === '/stalls') {
      // the status and a first chunk, then nothing: the probe's timeout ends it with what came
      res.writeHead(500, { 'content-type': 'text/plain' });
      return res.write('worker pool exhausted\n');
    }
    res.end('ok');
  });
  try {
    assert.deepEqual(await httpProbe('127.0.0.1', port, '/health', 2000), { ok: true, status: 200 });
    assert.deepEqual(await httpProbe('127.0.0.1', port, '/text', 2000), { ok: false, status: 503, error: 'GET /text answered 503: database connection lost' });
    assert.deepEqual(await httpProbe('127.0.0.1', port, '/html', 2000), { ok: false, status: 503, error: 'GET /html answered 503' });
    assert.deepEqual(await httpProbe('127.0.0.1', port, '/stalls', 500), { ok: false, status: 500, error: 'GET /stalls answered 500: worker pool exhausted' });
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
