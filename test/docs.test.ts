// The API reference: OpenAPI 3 generated from the route schemas, written by `npm run docs` (paz docs --out)
// and served as a readable page at /docs on the orchestrator.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PazProcess, request, pazBin } from './helpers/paz-server.js';

const run = promisify(execFile);

describe('API reference', () => {
  const paz = new PazProcess();
  const out = mkdtempSync(join(tmpdir(), 'paz-docs-'));
  before(() => paz.start());
  after(async () => {
    await paz.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('paz docs --out writes OpenAPI 3 documents of the three APIs', async () => {
    await run(process.execPath, [pazBin, 'docs', '--out', join(out, 'openapi.json')]);
    const orchestrator = JSON.parse(readFileSync(join(out, 'openapi.json'), 'utf8'));
    assert.match(orchestrator.openapi, /^3\./);
    for (const p of ['/services', '/services/{name}/config/next', '/services/{name}/rollback', '/services/{name}/restart', '/cluster/units/{id}', '/cluster/hosts/{id}/stats']) assert.ok(orchestrator.paths[p], `documents ${p}`);
    const create = orchestrator.paths['/services'].post.requestBody.content['application/json'].schema;
    assert.ok(create.properties.numInstances, 'the create schema documents its fields');
    const scheduler = JSON.parse(readFileSync(join(out, 'openapi-scheduler.json'), 'utf8'));
    for (const p of ['/hooks/deploy', '/hooks/dockerhub', '/hooks/registry', '/journal']) assert.ok(scheduler.paths[p], `documents ${p}`);
    const directory = JSON.parse(readFileSync(join(out, 'openapi-directory.json'), 'utf8'));
    assert.ok(directory.paths['/services/{name}/config'].patch);
  });

  it('paz docs --serve (npm run docs-server) serves the reference page', async () => {
    const { spawn } = await import('node:child_process');
    const { freePort } = await import('./helpers/paz-server.js');
    const port = await freePort();
    const child = spawn(process.execPath, [pazBin, 'docs', '--serve', '--port', String(port)], { stdio: 'ignore' });
    try {
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        status = await fetch(`http://127.0.0.1:${port}/docs`).then((r) => r.status, () => 0);
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(status, 200);
      assert.equal((await request('GET', `http://127.0.0.1:${port}/openapi.json`)).body.info.title, 'Paz orchestrator API');
      assert.equal((await request('GET', `http://127.0.0.1:${port}/docs/directory.json`)).body.info.title, 'Paz service directory API');
      assert.equal((await request('GET', `http://127.0.0.1:${port}/docs/scheduler.json`)).body.info.title, 'Paz scheduler API');
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('the orchestrator serves a readable reference at /docs and its document at /openapi.json', async () => {
    const page = await fetch(`${paz.orchestrator}/docs`, { redirect: 'follow' });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /swagger-ui/i);
    const doc = await request('GET', `${paz.orchestrator}/openapi.json`);
    assert.equal(doc.status, 200);
    assert.equal(doc.body.info.title, 'Paz orchestrator API');
    const sched = await request('GET', `${paz.scheduler}/openapi.json`);
    assert.ok(sched.body.paths['/hooks/deploy']);
  });
});

describe('API reference of all three APIs at /docs', () => {
  const paz = new PazProcess({ auth: true });
  before(() => paz.start());
  after(() => paz.close());

  it('/docs offers the orchestrator, service directory and scheduler documents, each fetchable with a read token', async () => {
    const headers = paz.authHeaders();
    assert.equal((await fetch(`${paz.orchestrator}/docs/static/swagger-initializer.js`)).status, 401, '/docs needs a token');
    const init = await fetch(`${paz.orchestrator}/docs/static/swagger-initializer.js`, { headers });
    assert.equal(init.status, 200);
    const script = await init.text();
    const wanted = { '/openapi.json': 'Paz orchestrator API', '/docs/directory.json': 'Paz service directory API', '/docs/scheduler.json': 'Paz scheduler API' };
    for (const [url, title] of Object.entries(wanted)) {
      assert.ok(script.includes(JSON.stringify(url)), `/docs lists ${url}`);
      const doc = await request('GET', `${paz.orchestrator}${url}`, undefined, headers);
      assert.equal(doc.status, 200, url);
      assert.equal(doc.body.info.title, title);
      assert.ok(Object.keys(doc.body.paths).length > 0, `${url} documents routes`);
    }
    const directory = await request('GET', `${paz.orchestrator}/docs/directory.json`, undefined, headers);
    assert.equal(directory.body.servers[0].url, paz.directory, "the directory's document names the directory's own port");
    assert.ok(directory.body.paths['/services/{name}/config'].patch);
    const scheduler = await request('GET', `${paz.orchestrator}/docs/scheduler.json`, undefined, headers);
    assert.equal(scheduler.body.servers[0].url, paz.scheduler);
    assert.ok(scheduler.body.paths['/hooks/deploy']);
    assert.equal((await fetch(`${paz.orchestrator}/docs/scheduler.json`)).status, 401);
  });
});

describe('npm run docs-server beside a running Paz', () => {
  it('serves on a free port when its port is taken (by a running Paz\'s scheduler)', async () => {
    const { spawn } = await import('node:child_process');
    const { createServer } = await import('node:net');
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const taken = (holder.address() as import('node:net').AddressInfo).port;
    const child = spawn(process.execPath, [pazBin, 'docs', '--serve', '--port', String(taken)], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout!.on('data', () => {
          const m = /API reference at (http:\/\/localhost:\d+)\/docs/.exec(out);
          if (m) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`paz docs --serve exited with ${code}: ${out}`)));
      });
      assert.match(out, new RegExp(`port ${taken} is in use`));
      assert.notEqual(url, `http://localhost:${taken}`);
      assert.equal((await fetch(`${url}/docs/static/swagger-initializer.js`)).status, 200);
      assert.equal((await request('GET', `${url}/docs/scheduler.json`)).body.info.title, 'Paz scheduler API');
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
      holder.close();
    }
  });
});
