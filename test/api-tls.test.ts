// The APIs over TLS: `paz up --tls-cert --tls-key` serves the orchestrator, service directory and scheduler
// with HTTPS from certificate files made here by openssl; the CLI works against https:// trusting the CA
// through NODE_EXTRA_CA_CERTS; a body refused for its size reaches a client still sending it, as over plain HTTP;
// bad certificate files stop the start with a message naming what to fix.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { PazProcess, assertStartRefused, pazBin } from './helpers/paz-server.js';
import { tmpDir } from './helpers/env.js';
import { makeCa, makeServerCert, type ServerCert, type TestCa } from './helpers/certs.js';
import { httpsRequest } from './helpers/https-request.js';
import { answers, sendThenRead } from './helpers/raw-http.js';
import { waitFor } from './helpers/wait.js';

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [pazBin, ...args], { env: { ...process.env, ...env }, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

describe('the APIs over HTTPS', () => {
  let ca: TestCa;
  let server: ServerCert;
  let paz: PazProcess;

  before(async () => {
    ca = makeCa(tmpDir('paz-tls-'));
    server = makeServerCert(ca, 'api', { dns: ['localhost'], ips: ['127.0.0.1'] });
    paz = new PazProcess({ role: 'up', ca: ca.pem, extraArgs: ['--no-agent', '--tls-cert', server.certFile, '--tls-key', server.keyFile] });
    await paz.start();
  });
  after(() => paz?.close());

  it('all three APIs answer /health over HTTPS with the given certificate, trusting the CA', async () => {
    for (const url of [paz.orchestrator, paz.directory, paz.scheduler]) {
      assert.match(url, /^https:\/\//);
      const health = await httpsRequest(`${url}/health`, { ca: ca.pem });
      assert.equal(health.status, 200, health.body);
      assert.equal(JSON.parse(health.body).healthy, true);
      assert.equal(health.peer.subject.CN, 'localhost');
      assert.match(health.peer.subjectaltname ?? '', /IP Address:127\.0\.0\.1/);
      const openapi = await httpsRequest(`${url}/openapi.json`, { ca: ca.pem });
      assert.match(JSON.parse(openapi.body).servers[0].url, /^https:\/\/127\.0\.0\.1:\d+$/, 'the API documents name https');
    }
  });

  it('API calls work over HTTPS; the announced addresses stay host:port', async () => {
    const created = await httpsRequest(`${paz.orchestrator}/services`, { ca: ca.pem, method: 'POST', body: { name: 'tls-demo', description: 'over https', dockerRepository: 'example/hello' } });
    assert.equal(created.status, 201, created.body);
    const listed = await httpsRequest(`${paz.directory}/services`, { ca: ca.pem });
    assert.equal(listed.status, 200, listed.body);
    assert.ok(JSON.parse(listed.body).doc.some((s: { name: string }) => s.name === 'tls-demo'));
    const announced = await cli(['kv', 'get', '/paz/services/paz-orchestrator', '--store', paz.storeUrl], {});
    assert.equal(announced.out.trim(), `127.0.0.1:${paz.ports.orchestrator}`);
  });

  it('a body past the size limit, sent whole before the client reads: the 413 arrives over TLS too (closed in stages)', async () => {
    const url = new URL(paz.orchestrator);
    const head = `POST /services HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n`;
    const { answer, sendError } = await sendThenRead(tlsConnect({ host: url.hostname, port: Number(url.port), ca: ca.pem }), head, 2 * 1024 * 1024, '');
    assert.equal(sendError, undefined, `sending the body ran into ${sendError}; the server answered: ${answer.slice(0, 300)}`);
    const [refused, ...more] = answers(answer);
    assert.equal(refused?.status, 413, answer.slice(0, 500));
    assert.equal(refused.body.code, 'PAZ_BODY_TOO_LARGE');
    assert.deepEqual(more, []);
  });

  it('plain HTTP to an API port gets no answer', async () => {
    for (const port of [paz.ports.orchestrator, paz.ports.directory, paz.ports.scheduler]) {
      const answer = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(10_000) }).then(
        (r) => `HTTP ${r.status}`,
        (err: Error) => `refused: ${err.message}`,
      );
      assert.match(answer, /^refused/, `port ${port} answered plain HTTP: ${answer}`);
    }
  });

  it('a client that does not trust the CA is refused', async () => {
    await assert.rejects(httpsRequest(`${paz.orchestrator}/health`, { ca: makeCa(tmpDir('paz-tls-other-'), 'Other CA').pem }), /self[- ]signed|unable to verify|certificate/i);
  });

  it('the CLI works against PAZ_URL=https://… trusting the CA through NODE_EXTRA_CA_CERTS', async () => {
    const env = { PAZ_URL: paz.orchestrator, PAZ_SCHEDULER_URL: paz.scheduler };
    const trusted = await cli(['services'], { ...env, NODE_EXTRA_CA_CERTS: ca.certFile });
    assert.equal(trusted.code, 0, trusted.out);
    assert.match(trusted.out, /tls-demo/);
    const journal = await cli(['journal'], { ...env, NODE_EXTRA_CA_CERTS: ca.certFile });
    assert.equal(journal.code, 0, journal.out);
    // the streamed commands use node:https, which trusts the same CA
    const events = spawn(process.execPath, [pazBin, 'events', '--since', '1'], { env: { ...process.env, ...env, NODE_EXTRA_CA_CERTS: ca.certFile }, stdio: ['ignore', 'pipe', 'pipe'] });
    let streamed = '';
    events.stdout.on('data', (d) => (streamed += d));
    events.stderr.on('data', (d) => (streamed += d));
    try {
      await waitFor('paz events over https showing the service', async () => streamed.includes('tls-demo'), 20_000).catch((err: Error) => {
        throw new Error(`${err.message}; paz events said: ${streamed}`);
      });
    } finally {
      events.kill();
    }
    const untrusted = await cli(['services'], env);
    assert.notEqual(untrusted.code, 0, 'without the CA the CLI must not talk to the server');
    assert.doesNotMatch(untrusted.out, /tls-demo/);
    assert.match(untrusted.out, /cannot reach https:\/\/127\.0\.0\.1:\d+: .*certificate.*NODE_EXTRA_CA_CERTS=/, 'says why and how to trust the CA');
  });
});

describe('bad certificate files stop paz up before it listens', () => {
  let ca: TestCa;
  let server: ServerCert;
  let other: ServerCert;

  before(() => {
    ca = makeCa(tmpDir('paz-tls-bad-'));
    server = makeServerCert(ca, 'api', { dns: ['localhost'], ips: ['127.0.0.1'] });
    other = makeServerCert(ca, 'other', { dns: ['other.localhost'] });
  });

  const refused = (extraArgs: string[], message: RegExp) => assertStartRefused({ role: 'up', ca: ca.pem, extraArgs: ['--no-agent', ...extraArgs] }, message);

  it('half a pair', async () => {
    await refused(['--tls-cert', server.certFile], /--tls-cert \(PAZ_TLS_CERT\) and --tls-key \(PAZ_TLS_KEY\) go together.*only --tls-cert/);
    await refused(['--tls-key', server.keyFile], /go together.*only --tls-key/);
  });

  it('a file that cannot be read', async () => {
    await refused(['--tls-cert', join(ca.dir, 'missing.pem'), '--tls-key', server.keyFile], /cannot read --tls-cert .*missing\.pem: no such file or directory/);
  });

  it('files that are not what they should be', async () => {
    await refused(['--tls-cert', server.keyFile, '--tls-key', server.keyFile], /--tls-cert .*api\.key holds no PEM certificate/);
    const garbage = join(ca.dir, 'garbage.key');
    writeFileSync(garbage, 'not a key\n');
    await refused(['--tls-cert', server.certFile, '--tls-key', garbage], /--tls-key .*garbage\.key holds no unencrypted PEM private key/);
  });

  it('a key that belongs to another certificate', async () => {
    await refused(['--tls-cert', server.certFile, '--tls-key', other.keyFile], /the key .*other\.key \(--tls-key\) does not belong to the certificate .*api\.pem/);
  });

  it('the same through the environment (PAZ_TLS_CERT / PAZ_TLS_KEY)', async () => {
    await assertStartRefused({ role: 'up', ca: ca.pem, extraArgs: ['--no-agent'], env: { PAZ_TLS_CERT: server.certFile, PAZ_TLS_KEY: other.keyFile } }, /does not belong to the certificate/);
  });
});
