// Paz's original orchestrator suites (paz-original.md §8.3, cases 1-34) against a real `paz server`
// (run by original-orchestrator.test.ts on fresh servers, and by original-in-sequence.test.ts on a shared one).
// Paz read hosts and units from fleet's etcd keys; Paz's agents now write host records and unit status to
// the store, so the cluster cases seed those keys (as an agent would) instead of fleet's. The watcher cases
// (21-29) check that the API reflects changes to those keys; 30-34 are the pure view functions.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { request } from '../helpers/paz-server.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/store.js';
import { keys } from '../../src/core/keys.js';
import type { DesiredUnit, HostRecord, UnitStatus } from '../../src/core/records.js';
import { hostView, unitVisible } from '../../src/core/unit-view.js';
import { useServer, type SuiteTarget } from './suite-server.js';

const service = { name: 'my-service', description: 'Test service', dockerRepository: 'lukebond/my-service', publicFacing: true };

export function orchestratorSuite(target: SuiteTarget): void {
  describe('original orchestrator suite: undeployed service', () => {
    const { paz } = useServer(target);

    it('1. GET /services is an object with a doc array', async () => {
      const res = await request('GET', `${paz.orchestrator}/services`);
      assert.equal(res.status, 200);
      assert.ok(Array.isArray(res.body.doc));
    });

    it('2. POST /services creates', async () => {
      const res = await request('POST', `${paz.orchestrator}/services`, service);
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('content-type'), 'application/json');
      for (const p of ['name', 'description', 'dockerRepository', 'config']) assert.ok(res.body.doc[p]);
      assert.equal(res.body.doc.config.publicFacing, true);
    });

    it('3. POST /services with an invalid document is a 400 saying what is missing', async () => {
      const res = await request('POST', `${paz.orchestrator}/services`, { name: 'illegit' });
      assert.equal(res.status, 400);
      assert.match(res.body.message, /dockerRepository is required/);
    });

    it('4. GET /services contains my-service', async () => {
      const res = await request('GET', `${paz.orchestrator}/services`);
      assert.ok(res.body.doc.some((s: { name: string }) => s.name === 'my-service'));
    });

    it('5. GET /services/my-service', async () => {
      const res = await request('GET', `${paz.orchestrator}/services/my-service`);
      assert.equal(res.status, 200);
      assert.ok(res.body.doc);
    });

    it('6. GET /services/foobar is a 404', async () => {
      assert.equal((await request('GET', `${paz.orchestrator}/services/foobar`)).status, 404);
    });

    it('7. GET /services/my-service/config/last before any deploy is a 404', async () => {
      const res = await request('GET', `${paz.orchestrator}/services/my-service/config/last`);
      assert.equal(res.status, 404);
      assert.equal(res.body.code, 'PAZ_NOT_DEPLOYED');
    });

    it('8. DELETE /services/my-service is a 204', async () => {
      assert.equal((await request('DELETE', `${paz.orchestrator}/services/my-service`)).status, 204);
    });
  });

  describe('original orchestrator suite: deployed service', () => {
    const { paz, cleanup } = useServer(target);
    before(async () => {
      assert.equal((await request('POST', `${paz.orchestrator}/services`, service)).status, 201);
      assert.equal((await request('POST', `${paz.scheduler}/hooks/deploy`, { serviceName: 'my-service', dockerRepository: 'lukebond/my-service', pushedAt: 1 })).status, 200);
    });
    // as Paz's suite did after its deployed-service cases
    cleanup(async () => assert.equal((await request('DELETE', `${paz.orchestrator}/services/my-service`)).status, 204));

    it('9. GET …/config/last', async () => {
      const res = await request('GET', `${paz.orchestrator}/services/my-service/config/last`);
      assert.equal(res.status, 200);
      assert.equal(res.body.doc.publicFacing, true);
      assert.ok('ports' in res.body.doc && 'numInstances' in res.body.doc);
    });

    it('10. GET …/config/next', async () => {
      const res = await request('GET', `${paz.orchestrator}/services/my-service/config/next`);
      assert.equal(res.status, 200);
      assert.equal(res.body.doc.publicFacing, true);
      assert.ok('ports' in res.body.doc && 'numInstances' in res.body.doc);
    });

    it('11. PATCH …/config/next', async () => {
      const res = await request('PATCH', `${paz.orchestrator}/services/my-service/config/next`, { publicFacing: false });
      assert.equal(res.status, 200);
      assert.equal(res.body.doc.publicFacing, false);
    });

    it('12. GET …/config/history keeps the deploy-time snapshot', async () => {
      const res = await request('GET', `${paz.orchestrator}/services/my-service/config/history`);
      assert.equal(res.status, 200);
      assert.equal(res.body.doc['1'].publicFacing, true);
      assert.ok('ports' in res.body.doc['1'] && 'numInstances' in res.body.doc['1']);
    });

    it('13. GET …/config/history/1', async () => {
      const res = await request('GET', `${paz.orchestrator}/services/my-service/config/history/1`);
      assert.equal(res.status, 200);
      assert.equal(res.body.doc.publicFacing, true);
    });
  });

  describe('original orchestrator suite: cluster, hosts, units, endpoints', () => {
    const { paz, cleanup } = useServer(target);
    let store: Store;
    const host: HostRecord = {
      id: '7c83517a5a6e4e5da1e1f1d3a0c7a2b1',
      hostname: 'core-01',
      ip: '172.17.9.101',
      labels: { role: 'worker' },
      cpus: 2,
      memoryBytes: 2 * 1024 ** 3,
      version: '0.1.0',
      agentUrl: 'http://127.0.0.1:1',
      driver: 'docker',
      startedAt: 1,
      heartbeatAt: 1,
    };
    const desired: DesiredUnit = {
      unit: 'myservice-1-1',
      service: 'myservice',
      version: 1,
      instance: 1,
      host: host.id,
      spec: { image: 'lukebond/myservice', ports: [], env: {}, volumes: [], stopGraceSeconds: 10 },
      createdAt: 1,
    };
    const status: UnitStatus = { unit: 'myservice-1-1', host: host.id, state: 'healthy', healthy: true, restarts: 0, image: 'lukebond/myservice', updatedAt: 1 };

    before(async () => {
      store = await openStore(paz.storeUrl);
      await store.put(keys.host(host.id), JSON.stringify(host));
      // as a deploy leaves it: version 1 committed (units of a version above the latest are not shown)
      await store.put(keys.latest('myservice'), '1');
      await store.put(keys.desiredUnit('myservice', desired.unit), JSON.stringify(desired));
      await store.put(keys.unitStatus(desired.unit), JSON.stringify(status));
    });
    // what the cases seeded goes again, so a suite run after this one on the same server sees no fake host
    cleanup(async () => {
      for (const key of [keys.host(host.id), keys.latest('myservice'), keys.desiredUnit('myservice', desired.unit), keys.unitStatus(desired.unit), '/paz/services/myservice/1/1']) await store.delete(key);
      await store.close();
    });

    it('14. GET /cluster has hostCount 1', async () => {
      const res = await request('GET', `${paz.orchestrator}/cluster`);
      assert.equal(res.status, 200);
      assert.equal(res.body.hostCount, 1);
    });

    it('15. GET /cluster/hosts has one host', async () => {
      const res = await request('GET', `${paz.orchestrator}/cluster/hosts`);
      assert.equal(res.status, 200);
      assert.equal(res.body.length, 1);
    });

    it('16. GET /cluster/hosts/<ID> has the fleet fields and its units', async () => {
      const res = await request('GET', `${paz.orchestrator}/cluster/hosts/${host.id}`);
      assert.equal(res.body.ID, host.id);
      assert.equal(res.body.PublicIP, host.ip);
      assert.equal(res.body.Version, host.version);
      assert.deepEqual(res.body.TotalResources, { Cores: 2, Memory: 2048, Disk: 0 });
      assert.deepEqual(res.body.units, ['myservice-1-1']);
      assert.deepEqual(res.body.Metadata, { role: 'worker' });
    });

    it('17. GET /cluster/hosts/<ID>/health', async () => {
      // a heartbeat, as the agent writes every few seconds: the host's health judges its age
      await store.put(keys.host(host.id), JSON.stringify({ ...host, heartbeatAt: Date.now() }));
      const body = (await request('GET', `${paz.orchestrator}/cluster/hosts/${host.id}/health`)).body;
      // Paz's `{healthy}`, with why (issue 12: health at three levels)
      assert.equal(body.healthy, true, JSON.stringify(body));
      assert.deepEqual({ id: body.id, status: body.status, reasons: body.reasons, state: body.state }, { id: host.id, status: 'healthy', reasons: [], state: 'up' });
    });

    it('fixed defect: an unknown host is a 404, not a crash', async () => {
      const res = await request('GET', `${paz.orchestrator}/cluster/hosts/nope`);
      assert.equal(res.status, 404);
      assert.equal(res.body.code, 'PAZ_HOST_NOT_FOUND');
      assert.equal((await request('GET', `${paz.orchestrator}/cluster/hosts/nope/health`)).status, 404);
    });

    it('18. GET /cluster/units has one unit', async () => {
      const res = await request('GET', `${paz.orchestrator}/cluster/units`);
      assert.equal(res.status, 200);
      assert.equal(res.body.length, 1);
    });

    it('19. GET /cluster/units/myservice-1-1 parses name, version and instance as numbers', async () => {
      const res = await request('GET', `${paz.orchestrator}/cluster/units/myservice-1-1`);
      assert.equal(res.body.name, 'myservice-1-1');
      assert.equal(res.body.service, 'myservice');
      assert.equal(res.body.version, 1);
      assert.equal(res.body.instance, 1);
      for (const p of ['activeState', 'loadState', 'machineState', 'subState']) assert.ok(p in res.body);
      assert.equal(res.body.machineState.ID, host.id);
      assert.equal(res.body.activeState, 'active');
    });

    it('20. GET /cluster/units/myservice-1-1/health', async () => {
      assert.deepEqual((await request('GET', `${paz.orchestrator}/cluster/units/myservice-1-1/health`)).body, { healthy: true });
    });

    it('fixed defect: GET /services/:name/units/:id works and an unknown unit is a 404', async () => {
      const res = await request('GET', `${paz.orchestrator}/services/myservice/units/myservice-1-1`);
      assert.equal(res.status, 200);
      assert.equal(res.body.name, 'myservice-1-1');
      const missing = await request('GET', `${paz.orchestrator}/services/myservice/units/myservice-9-9`);
      assert.equal(missing.status, 404);
    });

    it("a unit whose host's agent does not answer: logs and stats are a 502 saying so, not a hang", async () => {
      const logs = await request('GET', `${paz.orchestrator}/services/myservice/units/myservice-1-1/logs`);
      assert.equal(logs.status, 502);
      assert.equal(logs.body.code, 'PAZ_AGENT_UNREACHABLE');
      const stats = await request('GET', `${paz.orchestrator}/cluster/hosts/${host.id}/stats`);
      assert.equal(stats.status, 502);
      assert.match(stats.body.message, /did not answer/);
    });

    it('21-23. host changes are reflected: add, rewrite PublicIP, delete', async () => {
      const other = { ...host, id: 'second-host', ip: '172.17.9.101' };
      await store.put(keys.host(other.id), JSON.stringify(other));
      let res = await request('GET', `${paz.orchestrator}/cluster/hosts/second-host`);
      assert.equal(res.body.PublicIP, '172.17.9.101');
      await store.put(keys.host(other.id), JSON.stringify({ ...other, ip: '172.17.9.102' }));
      res = await request('GET', `${paz.orchestrator}/cluster/hosts/second-host`);
      assert.equal(res.body.PublicIP, '172.17.9.102');
      await store.delete(keys.host(other.id));
      assert.equal((await request('GET', `${paz.orchestrator}/cluster/hosts/second-host`)).status, 404);
    });

    it('24-26. unit state changes are reflected: running, then exited, then gone', async () => {
      let res = await request('GET', `${paz.orchestrator}/cluster/units/myservice-1-1`);
      assert.equal(res.body.loadState, 'loaded');
      assert.equal(res.body.activeState, 'active');
      assert.equal(res.body.subState, 'running');
      await store.put(keys.unitStatus(desired.unit), JSON.stringify({ ...status, state: 'exited', healthy: false, exitCode: 1, reason: 'exited with code 1' }));
      res = await request('GET', `${paz.orchestrator}/cluster/units/myservice-1-1`);
      assert.equal(res.body.activeState, 'failed');
      assert.equal(res.body.state, 'exited');
      assert.equal(res.body.exitCode, 1);
      await store.put(keys.unitStatus(desired.unit), JSON.stringify(status));
      await store.delete(keys.desiredUnit('myservice', desired.unit));
      assert.equal((await request('GET', `${paz.orchestrator}/cluster/units/myservice-1-1`)).status, 404);
      await store.put(keys.desiredUnit('myservice', desired.unit), JSON.stringify(desired));
    });

    it('27-29. announced endpoints are reflected: set, update, delete', async () => {
      const key = '/paz/services/myservice/1/1';
      await store.put(key, '172.17.9.101:8080');
      let res = await request('GET', `${paz.orchestrator}/cluster/endpoints`);
      assert.equal(res.body.myservice['1']['1'], '172.17.9.101:8080');
      assert.equal(res.body['paz-orchestrator'], `127.0.0.1:${paz.ports.orchestrator}`);
      await store.put(key, '172.17.8.102:8080');
      res = await request('GET', `${paz.orchestrator}/cluster/endpoints`);
      assert.equal(res.body.myservice['1']['1'], '172.17.8.102:8080');
      await store.delete(key);
      res = await request('GET', `${paz.orchestrator}/cluster/endpoints`);
      assert.ok(!res.body.myservice?.['1']?.['1']);
    });

    it('30-34. host views carry units; unit filters hide system units, announcers and load balancers', () => {
      const v = hostView(host, ['a-1-1'], { healthy: true, reasons: [] });
      assert.deepEqual(v.units, ['a-1-1']);
      assert.equal(v.ID, host.id);
      assert.deepEqual(hostView(host, [], { healthy: true, reasons: [] }).units, []);
      assert.equal(unitVisible('paz-web', {}), false);
      assert.equal(unitVisible('paz-web', { includeSystemUnits: true }), true);
      assert.equal(unitVisible('x-announce-1-1', {}), false);
      assert.equal(unitVisible('x-loadbalancer-1-1', { includeLoadbalancers: true }), true);
      assert.equal(unitVisible('demo-api-1-1', {}), true);
    });

    it('include* query flags are accepted as Paz sent them', async () => {
      const res = await request('GET', `${paz.orchestrator}/cluster/units?includeSystemUnits=true&includeAnnouncers=true`);
      assert.equal(res.status, 200);
      const bad = await request('GET', `${paz.orchestrator}/cluster/units?includeSystemUnits=maybe`);
      assert.equal(bad.status, 400);
    });
  });
}
