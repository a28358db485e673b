// The router over TLS: `paz up --domain example.test --router-tls-dir DIR --router-https-port N` with the real
// dockerd and HAProxy. DIR holds certificates made here by openssl for hello.example.test and *.example.test;
// HAProxy picks one by SNI, public-facing hosts with a certificate redirect plain HTTP to HTTPS, and the
// cluster-internal <svc>.paz stays plain HTTP. All traffic goes to 127.0.0.1 (SNI and Host carry the name).
// test-lane: docker normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:http2';
import { assertStartRefused, freePort, request } from './helpers/paz-server.js';
import { skipUnlessDocker, tmpDir, type DockerTestEnv } from './helpers/env.js';
import { startPazUp, type PazUp } from './helpers/paz-up.js';
import { waitFor } from './helpers/wait.js';
import { viaRouter } from './helpers/load.js';
import { makeCa, makeServerCert, type TestCa } from './helpers/certs.js';
import { httpsRequest } from './helpers/https-request.js';
import { openStore } from '../src/store/index.js';
import { keys } from '../src/core/keys.js';
import type { HostRecord } from '../src/core/records.js';

function routerCertDir(ca: TestCa): string {
  const dir = join(ca.dir, 'router-certs');
  mkdirSync(dir);
  copyFileSync(makeServerCert(ca, 'hello', { dns: ['hello.example.test'] }).bundleFile, join(dir, 'hello.example.test.pem'));
  copyFileSync(makeServerCert(ca, 'star', { dns: ['*.example.test'] }).bundleFile, join(dir, '*.example.test.pem'));
  return dir;
}

describe('the router serves TLS per domain and redirects public-facing hosts to HTTPS', skipUnlessDocker, () => {
  let up: PazUp;
  let env: DockerTestEnv;
  let ca: TestCa;
  let routerPort: number;
  let httpsPort: number;

  before(async () => {
    ca = makeCa(tmpDir('paz-router-tls-'));
    httpsPort = await freePort();
    up = await startPazUp(['--domain', 'example.test', '--router-tls-dir', routerCertDir(ca), '--router-https-port', String(httpsPort)]);
    ({ env, routerPort } = up);
    const orchestrator = up.paz.orchestrator;
    const created = await request('POST', `${orchestrator}/services`, { name: 'hello', description: 'public', dockerRepository: env.image1, numInstances: 1, publicFacing: true, ports: [{ container: 9000 }] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await request('POST', `${orchestrator}/services/hello/deploy`, {})).status, 201);
    await up.settled('hello', 1);
    await waitFor('hello.paz through the router', async () => (await viaRouter(routerPort, 'hello.paz')).body === 'Hello World 1\n');
  });
  after(() => up?.close());

  it('HTTPS with SNI hello.example.test reaches the instance, presenting the exact certificate', async () => {
    const answer = await waitFor('hello.example.test over HTTPS', async () => {
      const r = await httpsRequest(`https://127.0.0.1:${httpsPort}/`, { ca: ca.pem, servername: 'hello.example.test' });
      return r.status === 200 && r;
    });
    assert.equal(answer.body, 'Hello World 1\n');
    assert.equal(answer.peer.subject.CN, 'hello.example.test');
    assert.equal(answer.peer.subjectaltname, 'DNS:hello.example.test', 'the exact certificate, not the wildcard');
    assert.equal(answer.peer.issuer.CN, 'Paz Test CA');
  });

  it('HTTP/2 clients (ALPN h2) are served too', async () => {
    const session = connect(`https://127.0.0.1:${httpsPort}`, { ca: ca.pem, servername: 'hello.example.test' });
    try {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        session.on('error', reject);
        const req = session.request({ ':path': '/', ':authority': 'hello.example.test' });
        let body = '';
        let status = 0;
        req.setEncoding('utf8');
        req.on('response', (headers) => (status = Number(headers[':status'])));
        req.on('data', (d: string) => (body += d));
        req.on('end', () => resolve({ status, body }));
        req.on('error', reject);
        req.end();
      });
      assert.equal(session.alpnProtocol, 'h2');
      assert.deepEqual(answer, { status: 200, body: 'Hello World 1\n' });
    } finally {
      session.close();
    }
  });

  it('another name of the domain gets the wildcard certificate (and the router\'s 404: no such service)', async () => {
    const answer = await httpsRequest(`https://127.0.0.1:${httpsPort}/`, { ca: ca.pem, servername: 'nothing.example.test' });
    assert.equal(answer.peer.subjectaltname, 'DNS:*.example.test');
    assert.equal(answer.status, 404);
    assert.match(answer.body, /No service answers to Host nothing\.example\.test/);
  });

  it('plain HTTP to the public host is redirected to the same host and path over HTTPS', async () => {
    const answer = await viaRouter(routerPort, 'hello.example.test', '/some/page?x=1&y=2');
    assert.equal(answer.status, 308, answer.body);
    assert.equal(answer.headers.location, `https://hello.example.test:${httpsPort}/some/page?x=1&y=2`);
    // the Host header's case and port do not change the target
    const withPort = await viaRouter(routerPort, `Hello.Example.Test:${routerPort}`, '/');
    assert.equal(withPort.status, 308);
    assert.equal(withPort.headers.location, `https://hello.example.test:${httpsPort}/`);
    // the absolute name (trailing dot) is routed, so it is redirected too, not served in plain HTTP
    const absolute = await viaRouter(routerPort, 'hello.example.test.', '/');
    assert.equal(absolute.status, 308, absolute.body);
    assert.equal(absolute.headers.location, `https://hello.example.test.:${httpsPort}/`);
  });

  it('no unit may take the router\'s HTTPS port: the host reserves it', async () => {
    // placement refuses a host's reserved ports (core/placement.ts); the agent's host record lists them
    const store = await openStore(up.paz.storeUrl);
    try {
      const hosts = (await store.range(keys.hostsPrefix())).kvs.map((kv) => JSON.parse(kv.value) as HostRecord);
      assert.equal(hosts.length, 1);
      assert.ok(hosts[0].reservedPorts?.includes(httpsPort), JSON.stringify(hosts[0].reservedPorts));
    } finally {
      await store.close();
    }
  });

  it('<svc>.paz stays plain HTTP: answered, not redirected', async () => {
    const answer = await viaRouter(routerPort, 'hello.paz', '/');
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'Hello World 1\n');
    assert.equal(answer.headers.location, undefined);
  });
});

describe('a bad router certificate directory stops paz up before it starts', () => {
  const refused = async (dir: string, message: RegExp) => assertStartRefused({ role: 'up', extraArgs: ['--router-tls-dir', dir, '--router-port', String(await freePort())] }, message);

  it('missing, empty, a certificate without its key, a key of another certificate', async () => {
    const ca = makeCa(tmpDir('paz-router-tls-bad-'));
    await refused(join(ca.dir, 'nowhere'), /cannot read --router-tls-dir .*nowhere: no such file or directory/);
    const empty = join(ca.dir, 'empty');
    mkdirSync(empty);
    await refused(empty, /--router-tls-dir .*empty holds no certificate/);
    const a = makeServerCert(ca, 'a', { dns: ['a.example.test'] });
    const b = makeServerCert(ca, 'b', { dns: ['b.example.test'] });
    const noKey = join(ca.dir, 'no-key');
    mkdirSync(noKey);
    copyFileSync(a.certFile, join(noKey, 'a.example.test.pem'));
    await refused(noKey, /router certificate .*a\.example\.test\.pem holds no unencrypted PEM private key/);
    const mixed = join(ca.dir, 'mixed');
    mkdirSync(mixed);
    writeFileSync(join(mixed, 'a.example.test.pem'), `${readFileSync(a.certFile, 'utf8')}${readFileSync(b.keyFile, 'utf8')}`);
    await refused(mixed, /a\.example\.test\.pem holds a key that does not belong to its certificate/);
  });
});
