// Every kind of bad input gets a 4xx with a stable code and a message saying what to fix; never a 500.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PazProcess, request } from './helpers/paz-server.js';

describe('bad input', () => {
  const paz = new PazProcess();
  before(async () => {
    await paz.start();
    await request('POST', `${paz.orchestrator}/services`, { name: 'good-service', dockerRepository: 'lukebond/good' });
  });
  after(() => paz.close());

  const cases: Array<[string, string, string, unknown, number, string, RegExp]> = [
    ['malformed JSON', 'POST', '/services', '{"name": "x",', 400, 'PAZ_BAD_JSON', /not valid JSON/],
    ['empty body', 'POST', '/services', '', 400, 'PAZ_VALIDATION', /^the request body is missing: send a JSON object with at least "name" \(see \/docs/],
    ['no body where every field is optional (curl -X POST): read as {}', 'POST', '/services/good-service/rollback', undefined, 404, 'PAZ_VERSION_NOT_FOUND', /never been deployed/],
    ['a JSON array instead of an object', 'POST', '/services', '[1,2]', 400, 'PAZ_VALIDATION', /must be object/],
    ['wrong type', 'POST', '/services', { name: 'abc-def', dockerRepository: 'x', numInstances: '3' }, 400, 'PAZ_VALIDATION', /field "numInstances" must be integer/],
    ['unknown field', 'POST', '/services', { name: 'abc-def', dockerRepository: 'x', replicas: 3 }, 400, 'PAZ_VALIDATION', /unknown field "replicas"/],
    ['nested unknown field', 'POST', '/services', { name: 'abc-def', dockerRepository: 'x', ports: [{ container: 80, hostPort: 8080 }] }, 400, 'PAZ_VALIDATION', /field "ports\[0\]" has an unknown field "hostPort"/],
    ['port out of range', 'POST', '/services', { name: 'abc-def', dockerRepository: 'x', ports: [{ container: 70000 }] }, 400, 'PAZ_VALIDATION', /ports\[0\]\.container/],
    ['enum value', 'POST', '/services', { name: 'abc-def', dockerRepository: 'x', autoDeploy: 'sometimes' }, 400, 'PAZ_VALIDATION', /"always", "never"/],
    ['name that is not a DNS label', 'POST', '/services', { name: 'My_Service', dockerRepository: 'x' }, 400, 'PAZ_VALIDATION', /uppercase/],
    ['name too short', 'POST', '/services', { name: 'ab', dockerRepository: 'x' }, 400, 'PAZ_VALIDATION', /too short/],
    ['reserved name', 'POST', '/services', { name: 'paz-web', dockerRepository: 'x' }, 400, 'PAZ_NAME_RESERVED', /reserved/],
    ['bad image reference', 'POST', '/services', { name: 'abc-def', dockerRepository: 'Not An Image' }, 400, 'PAZ_VALIDATION', /dockerRepository/],
    ['duplicate service', 'POST', '/services', { name: 'good-service', dockerRepository: 'x' }, 409, 'PAZ_SERVICE_EXISTS', /already exists/],
    ['bad env key', 'PATCH', '/services/good-service/config/next', { env: { '1BAD': 'x' } }, 400, 'PAZ_VALIDATION', /env key "1BAD"/],
    ['identity in a config patch', 'PATCH', '/services/good-service/config/next', { name: 'other' }, 400, 'PAZ_VALIDATION', /unknown field "name"/],
    ['unknown service config', 'PATCH', '/services/nope-nope/config/next', { numInstances: 2 }, 404, 'PAZ_SERVICE_NOT_FOUND', /no service named "nope-nope"/],
    ['unknown version', 'GET', '/services/good-service/config/history/7', undefined, 404, 'PAZ_VERSION_NOT_FOUND', /never been deployed/],
    ['version not a number', 'GET', '/services/good-service/config/history/seven', undefined, 400, 'PAZ_VALIDATION', /not a version number/],
    ['unknown unit', 'GET', '/cluster/units/nope', undefined, 404, 'PAZ_UNIT_NOT_FOUND', /<service>-<version>-<instance>/],
    ['unknown route', 'GET', '/nowhere', undefined, 404, 'PAZ_ROUTE_NOT_FOUND', /\/docs/],
    ['huge body', 'POST', '/services', JSON.stringify({ name: 'abc-def', dockerRepository: 'x', description: 'x'.repeat(2 * 1024 * 1024) }), 413, 'PAZ_BODY_TOO_LARGE', /larger than/],
  ];

  for (const [what, method, path, body, status, code, message] of cases) {
    it(`${what}: ${status} ${code}`, async () => {
      const res = await request(method, `${paz.orchestrator}${path}`, body);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.body.code, code);
      assert.match(res.body.message, message);
      assert.equal(res.body.statusCode, status);
    });
  }

  it('curl -d without a content type is read as JSON', async () => {
    const res = await request('POST', `${paz.orchestrator}/services`, '{"name":"form-service","dockerRepository":"x"}', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(res.status, 201);
  });

  it('the deploy hook rejects unknown fields and wrong types', async () => {
    const a = await request('POST', `${paz.scheduler}/hooks/deploy`, { serviceName: 'good-service', pushedAt: 'yesterday' });
    assert.equal(a.status, 400);
    assert.match(a.body.message, /pushedAt/);
    const b = await request('POST', `${paz.scheduler}/hooks/deploy`, { serviceName: 'good-service', force: true });
    assert.equal(b.status, 400);
    assert.match(b.body.message, /unknown field "force"/);
  });

  it('the server is still healthy after all that', async () => {
    assert.equal((await request('GET', `${paz.orchestrator}/health`)).status, 200);
    assert.doesNotMatch(paz.output, /"level":50/, 'no error was logged');
  });
});
