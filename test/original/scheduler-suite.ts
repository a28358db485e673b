// Paz's original scheduler suites (paz-original.md §8.2, cases 9-17) against a real `paz server`
// (run by original-scheduler.test.ts on fresh servers, and by original-in-sequence.test.ts on a shared one).
// Cases 1-8 tested Paz's systemd unit-file renderer, which Paz no longer has (its agent runs units from
// desired-unit specs); their intent (N instances, no "undefined", volumes as /foo:/bar) is covered by
// src/core/deploy-plan.test.ts and src/agent/drivers/docker/docker-mapping.test.ts.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { request } from '../helpers/paz-server.js';
import { myService, useServer, type SuiteTarget } from './suite-server.js';

const service = myService;

const dockerhubPayload = {
  push_data: { pushed_at: 1385141110, images: ['imagehash1'], pusher: 'username', pushed_at2: 'unknown keys are fine' },
  repository: {
    status: 'Active',
    description: 'my docker repo that does cool things',
    is_trusted: true,
    full_description: 'This is my full description',
    repo_url: 'https://registry.hub.docker.com/u/lukebond/my-service/',
    owner: 'lukebond',
    is_official: false,
    is_private: false,
    name: 'my-service',
    namespace: 'lukebond',
    star_count: 1,
    comment_count: 1,
    date_created: 1370174400,
    dockerfile: 'FROM busybox',
    repo_name: 'lukebond/my-service',
  },
};

function hasConfigProps(doc: Record<string, unknown>) {
  for (const p of ['publicFacing', 'ports', 'env', 'numInstances']) assert.ok(p in doc, `config has ${p}`);
}

export function schedulerSuite(target: SuiteTarget): void {
  describe('original scheduler suite: hooks', () => {
    const { paz, fresh, cleanup } = useServer(target);
    before(async () => {
      assert.equal((await request('POST', `${paz.directory}/services`, service)).status, 201);
    });
    // as Paz's suite did after its hook cases
    cleanup(async () => assert.equal((await request('DELETE', `${paz.directory}/services/my-service`)).status, 204));
    /** on a shared server, versions continue from what ran before (history outlives a deleted service) */
    let firstVersion = 1;

    it('9. POST /hooks/deploy deploys a service', async () => {
      const res = await request('POST', `${paz.scheduler}/hooks/deploy`, { serviceName: 'my-service', dockerRepository: 'lukebond/my-service', pushedAt: 1 });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { statusCode: 200 });
      const location = res.headers.get('location') ?? '';
      if (fresh) assert.equal(location, '/config/my-service/version/1');
      else assert.match(location, /^\/config\/my-service\/version\/\d+$/);
      firstVersion = Number(location.split('/').pop());
    });

    it('10. POST /hooks/deploy without serviceName is a 400', async () => {
      const res = await request('POST', `${paz.scheduler}/hooks/deploy`, { dockerRepository: 'lukebond/my-service', pushedAt: 1 });
      assert.equal(res.status, 400);
      assert.match(res.body.message, /serviceName/);
    });

    it('11. a Docker Hub payload (unknown keys anywhere; is_trusted true is fine: fixed defect) deploys', async () => {
      const res = await request('POST', `${paz.scheduler}/hooks/dockerhub`, dockerhubPayload);
      assert.equal(res.status, 200);
      assert.equal(res.body.statusCode, 201);
      assert.deepEqual(res.body.deployed, [{ service: 'my-service', version: firstVersion + 1, image: 'lukebond/my-service' }]);
    });

    it('12. the same payload without repository.repo_url is a 400', async () => {
      const { repo_url: _drop, ...repository } = dockerhubPayload.repository;
      const res = await request('POST', `${paz.scheduler}/hooks/dockerhub`, { ...dockerhubPayload, repository });
      assert.equal(res.status, 400);
      assert.match(res.body.message, /repo_url/);
    });

    it('the pushed tag is deployed (Paz ignored it)', async () => {
      const res = await request('POST', `${paz.scheduler}/hooks/dockerhub`, { ...dockerhubPayload, push_data: { tag: '1.2.3' } });
      assert.equal(res.status, 200);
      assert.equal(res.body.deployed[0].image, 'lukebond/my-service:1.2.3');
    });

    it('unknown services and foreign repositories are clear 4xx answers', async () => {
      const unknown = await request('POST', `${paz.scheduler}/hooks/deploy`, { serviceName: 'nope-service', pushedAt: 1 });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.code, 'PAZ_SERVICE_NOT_FOUND');
      const foreign = await request('POST', `${paz.scheduler}/hooks/deploy`, { serviceName: 'my-service', dockerRepository: 'someone/else' });
      assert.equal(foreign.status, 400);
      assert.equal(foreign.body.code, 'PAZ_REPOSITORY_MISMATCH');
      const hub = await request('POST', `${paz.scheduler}/hooks/dockerhub`, { repository: { repo_url: 'x', repo_name: 'nobody/none' } });
      assert.equal(hub.status, 404);
      assert.equal(hub.body.code, 'PAZ_REPOSITORY_NOT_FOUND');
    });
  });

  describe('original scheduler suite: config resources', () => {
    const { paz, fresh, cleanup } = useServer(target);
    before(async () => {
      assert.equal((await request('POST', `${paz.directory}/services`, service)).status, 201);
      assert.equal((await request('POST', `${paz.scheduler}/hooks/deploy`, { serviceName: 'my-service', dockerRepository: 'lukebond/my-service', pushedAt: 1 })).status, 200);
    });
    cleanup(async () => assert.equal((await request('DELETE', `${paz.directory}/services/my-service`)).status, 204));

    it('13. GET /config/my-service/version/latest', async () => {
      const res = await request('GET', `${paz.scheduler}/config/my-service/version/latest`);
      assert.equal(res.status, 200);
      hasConfigProps(res.body.doc);
    });

    it('14. GET /config/my-service/version/1', async () => {
      const res = await request('GET', `${paz.scheduler}/config/my-service/version/1`);
      assert.equal(res.status, 200);
      hasConfigProps(res.body.doc);
    });

    it('15. GET /config/my-service/version/1337 is a 404', async () => {
      const res = await request('GET', `${paz.scheduler}/config/my-service/version/1337`);
      assert.equal(res.status, 404);
      assert.equal(res.body.code, 'PAZ_VERSION_NOT_FOUND');
      assert.match(res.body.message, fresh ? /versions go from 1 to 1/ : /versions go from 1 to \d+/);
    });

    it('16. GET /config/my-service/history', async () => {
      const res = await request('GET', `${paz.scheduler}/config/my-service/history`);
      assert.equal(res.status, 200);
      hasConfigProps(res.body.doc['1']);
    });

    it('17. GET /journal', async () => {
      const res = await request('GET', `${paz.scheduler}/journal`);
      assert.equal(res.status, 200);
      const e = res.body.doc[0];
      assert.equal(e.event, 'deploy');
      for (const p of ['serviceName', 'timestamp', 'version']) assert.ok(p in e);
      hasConfigProps(e.config);
    });

    it('a version that is not a number is a 400, never a 500', async () => {
      const res = await request('GET', `${paz.scheduler}/config/my-service/version/abc`);
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'PAZ_VALIDATION');
    });

    it('history of a never-deployed service is an empty map, as in Paz', async () => {
      const res = await request('GET', `${paz.scheduler}/config/other-service/history`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.doc, {});
    });

    it('the deploy wrote numInstances desired units, honestly not placed without an agent', async () => {
      const res = await request('GET', `${paz.orchestrator}/cluster/units`);
      assert.equal(res.status, 200);
      const names = res.body.map((u: { name: string }) => u.name);
      if (fresh) assert.deepEqual(names, ['my-service-1-1']);
      else assert.ok(names.length === 1 && /^my-service-\d+-1$/.test(names[0]), `one unit of the latest version: ${names}`);
      assert.equal(res.body[0].state, 'unplaced');
      assert.equal(res.body[0].machineState, null);
      assert.equal(res.body[0].healthy, false);
    });
  });
}
