// Every curl call of the seed README (shared/seed), against `paz up`, checking each answer; and the
// `etcdctl get /paz/services/...` steps with `paz kv get`. Twice: with --no-auth on loopback (the plain
// curl walkthrough), and with auth on, each curl carrying the admin token as the README shows.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PazProcess, request, pazBin, repoRoot } from './helpers/paz-server.js';

const run = promisify(execFile);

for (const auth of [false, true]) describe(`seed README walkthrough, ${auth ? 'with the admin token' : 'with --no-auth on loopback'}`, () => {
  const paz = new PazProcess({ role: 'up', auth, extraArgs: ['--no-agent'] });
  before(() => paz.start());
  after(() => paz.close());
  /** what the README's curl lines add with auth on: -H "Authorization: Bearer $(cat ~/.paz/admin-token)" */
  const token = (): Record<string, string> => (auth ? paz.authHeaders() : {});

  const SVCDOC = '{"name":"demo-api","description":"Very simple HTTP Hello World server","dockerRepository":"lukebond/demo-api","loadBalanced":false,"publicFacing":false}';
  const DEPLOY_DOC = `{"serviceName":"demo-api","dockerRepository":"lukebond/demo-api","pushedAt":${Math.floor(Date.now() / 1000)}}`;
  const jsonType = { 'Content-Type': 'application/json' };

  it(auth ? 'refuses the plain curl without the token' : 'answers plain curl, and /health says auth is off', async () => {
    const plain = await request('POST', `${paz.orchestrator}/services`, SVCDOC, jsonType);
    const health = await request('GET', `${paz.orchestrator}/health`);
    if (auth) {
      assert.equal(plain.status, 401);
      assert.equal(health.body.auth, undefined);
    } else {
      assert.equal(plain.status, 201);
      assert.equal(health.body.auth, 'off');
      assert.match(paz.output, /AUTHENTICATION IS OFF/);
      assert.equal((await request('DELETE', `${paz.orchestrator}/services/demo-api`)).status, 204);
    }
  });

  it('adds a service via the orchestrator and lists it', async () => {
    const created = await request('POST', `${paz.orchestrator}/services`, SVCDOC, { ...jsonType, ...token() });
    assert.equal(created.status, 201);
    const list = await request('GET', `${paz.orchestrator}/services`, undefined, token());
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.doc.map((s: { name: string }) => s.name), ['demo-api']);
  });

  it('patches config/next with a MESSAGE env var', async () => {
    const res = await request('PATCH', `${paz.orchestrator}/services/demo-api/config/next`, '{"env": {"MESSAGE": "so platform; many service; wow"}}', { ...jsonType, ...token() });
    assert.equal(res.status, 200);
    assert.equal(res.body.doc.env.MESSAGE, 'so platform; many service; wow');
  });

  it('deploys it via the scheduler', async () => {
    const res = await request('POST', `${paz.scheduler}/hooks/deploy`, DEPLOY_DOC, { ...jsonType, ...token() });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { statusCode: 200 });
    const last = await request('GET', `${paz.orchestrator}/services/demo-api/config/last`, undefined, token());
    assert.equal(last.body.doc.env.MESSAGE, 'so platform; many service; wow');
  });

  it('deletes it', async () => {
    const res = await request('DELETE', `${paz.orchestrator}/services/demo-api`, undefined, token());
    assert.equal(res.status, 204);
    assert.equal((await request('GET', `${paz.orchestrator}/services/demo-api`, undefined, token())).status, 404);
  });

  it('finds the service directory and scheduler with `paz kv get` (etcdctl get)', async () => {
    const dir = await run(process.execPath, [pazBin, 'kv', 'get', '/paz/services/paz-service-directory', '--data-dir', paz.dataDir]);
    assert.equal(dir.stdout.trim(), `127.0.0.1:${paz.ports.directory}`);
    const sch = await run(process.execPath, [pazBin, 'kv', 'get', '/paz/services/paz-scheduler', '--data-dir', paz.dataDir]);
    assert.equal(sch.stdout.trim(), `127.0.0.1:${paz.ports.scheduler}`);
    const ls = await run(process.execPath, [pazBin, 'kv', 'ls', '/paz/services', '--data-dir', paz.dataDir]);
    assert.deepEqual(ls.stdout.trim().split('\n').sort(), ['/paz/services/paz-orchestrator', '/paz/services/paz-scheduler', '/paz/services/paz-service-directory']);
  });

  it('posts contrived-service-1.json to the service directory and gets the meta answer', async () => {
    // the file the README posts (`-d @examples/contrived-service-1.json`), sent as curl sends it
    const contrived = readFileSync(join(repoRoot, 'examples', 'contrived-service-1.json'), 'utf8');
    // the seed README's document, field for field
    assert.deepEqual(JSON.parse(contrived), {
      name: 'contrived-service-1',
      description: 'Test service',
      dockerImage: 'lukebond/contrived-service-1',
      ports: [{ container: 9000, host: 80 }],
      autoDeploy: 'always',
      numInstances: 1,
      conflictsWith: 'contrived-service-*',
    });
    const res = await request('POST', `${paz.directory}/services`, contrived, { ...jsonType, ...token() });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.deepEqual(Object.keys(res.body.meta), ['statusCode', 'ok', 'uuid', 'name']);
    assert.equal(res.body.meta.statusCode, 201);
    assert.equal(res.body.meta.ok, true);
    assert.equal(res.body.meta.name, 'contrived-service-1');
    assert.equal(res.body.meta.uuid, res.headers.get('x-api-uuid'));
    const stored = await request('GET', `${paz.orchestrator}/services/contrived-service-1`, undefined, token());
    assert.equal(stored.body.doc.dockerRepository, 'lukebond/contrived-service-1');
    assert.deepEqual(stored.body.doc.config.ports, [{ container: 9000, host: 80 }]);
    assert.equal(stored.body.doc.config.conflictsWith, 'contrived-service-*');
  });

  it('triggers its deployment through the scheduler with the :0.0.1 tag', async () => {
    const res = await request('POST', `${paz.scheduler}/hooks/deploy`, '{"serviceName": "contrived-service-1", "dockerRepository": "lukebond/contrived-service-1:0.0.1", "pushedAt": 0}', { ...jsonType, ...token() });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { statusCode: 200 });
    const units = await request('GET', `${paz.orchestrator}/services/contrived-service-1/units`, undefined, token());
    assert.deepEqual(units.body.map((u: { name: string }) => u.name), ['contrived-service-1-1-1']);
    assert.equal(units.body[0].image, 'lukebond/contrived-service-1:0.0.1');
  });
});
