// Paz's original service-directory suite (paz-original.md §8.1, cases 1-7) against a real `paz server`
// (run by original-directory.test.ts on its own server, and by original-in-sequence.test.ts on a shared one).
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { request } from '../helpers/paz-server.js';
import { myService, useServer, type SuiteTarget } from './suite-server.js';

const fixture = myService;

export function directorySuite(target: SuiteTarget): void {
  describe('original service directory suite', () => {
    const { paz, fresh } = useServer(target);
    afterEach(() => request('DELETE', `${paz.directory}/services/my-service`));

    const create = () => request('POST', `${paz.directory}/services`, fixture);

    it('1. creates a new service successfully', async () => {
      const res = await create();
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('content-type'), 'application/json');
      assert.equal(res.body.doc.name, 'my-service');
    });

    it('2. creates a new service and the config is correct', async () => {
      const { body } = await create();
      assert.equal(body.doc.config.publicFacing, true);
      assert.equal(body.doc.config.numInstances, 1);
      assert.ok(Array.isArray(body.doc.config.ports));
      assert.equal(body.doc.config.ports[0].container, 9000);
      assert.equal(typeof body.doc.config.env, 'object');
      assert.equal(body.doc.config.env.suchKey, 'veryValue');
    });

    it('3. returns 404 when fetching a non-existent service', async () => {
      const res = await request('GET', `${paz.directory}/services/non-existent-service`);
      assert.equal(res.status, 404);
      assert.equal(res.body.code, 'PAZ_SERVICE_NOT_FOUND');
    });

    it('4. fetches a created service', async () => {
      await create();
      const res = await request('GET', `${paz.directory}/services/my-service`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/json');
      assert.equal(res.body.doc.config.publicFacing, true);
      assert.equal(res.body.doc.config.numInstances, 1);
      assert.equal(res.body.doc.config.ports[0].container, 9000);
      assert.equal(res.body.doc.config.env.suchKey, 'veryValue');
    });

    it('5. fetches a service by lookup on dockerRepository (a single object)', async () => {
      await create();
      const res = await request('GET', `${paz.directory}/services?dockerRepository=${encodeURIComponent('lukebond/my-service')}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/json');
      assert.equal(res.body.doc.name, 'my-service');
    });

    it('6. successfully lists services', async () => {
      await create();
      const res = await request('GET', `${paz.directory}/services`);
      assert.equal(res.status, 200);
      assert.ok(Array.isArray(res.body.doc));
      const names = res.body.doc.map((s: { name: string }) => s.name);
      if (fresh) assert.deepEqual(names, ['my-service']);
      else assert.ok(names.includes('my-service'));
    });

    it("7. successfully modifies a created service's config", async () => {
      await create();
      const res = await request('PATCH', `${paz.directory}/services/my-service/config`, { publicFacing: false, numInstances: 5 });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/json');
      assert.equal(res.body.doc.publicFacing, false);
      assert.equal(res.body.doc.numInstances, 5);
      assert.equal(res.body.doc.env.suchKey, 'veryValue', 'the rest of the config is kept');
    });

    it('fixed defect: an invalid config patch is a 400 naming the field, not a 500', async () => {
      await create();
      const res = await request('PATCH', `${paz.directory}/services/my-service/config`, { numInstances: 'five' });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'PAZ_VALIDATION');
      assert.match(res.body.message, /numInstances/);
    });

    it('fixed defect: two services sharing a repository do not corrupt the lookup index', async () => {
      await create();
      await request('POST', `${paz.directory}/services`, { ...fixture, name: 'my-service-2' });
      const both = await request('GET', `${paz.directory}/services?dockerRepository=lukebond/my-service`);
      assert.equal(both.status, 409);
      assert.deepEqual(both.body.details.services, ['my-service', 'my-service-2']);
      await request('DELETE', `${paz.directory}/services/my-service-2`);
      const one = await request('GET', `${paz.directory}/services?dockerRepository=lukebond/my-service`);
      assert.equal(one.status, 200, 'deleting the other service kept this one findable');
      assert.equal(one.body.doc.name, 'my-service');
    });

    it('DELETE answers 204, then the service is gone (404 on a second delete)', async () => {
      await create();
      assert.equal((await request('DELETE', `${paz.directory}/services/my-service`)).status, 204);
      assert.equal((await request('DELETE', `${paz.directory}/services/my-service`)).status, 404);
    });

    it('answers carry x-api-uuid and x-api-version', async () => {
      const res = await request('GET', `${paz.directory}/services`);
      assert.match(res.headers.get('x-api-uuid') ?? '', /^[0-9a-z]{1,6}$/);
      assert.match(res.headers.get('x-api-version') ?? '', /^\d+\.\d+\.\d+/);
    });
  });
}
