// The cluster harness itself: three hosts with their own dockerd, a three-member etcd, a server, an agent
// and router on every host; a service's instances spread over the hosts answer through every host's router.
// test-lane: heavy
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { NetnsCluster } from './helpers/netns-cluster.js';
import { waitFor } from './helpers/wait.js';
import { viaRouter } from './helpers/load.js';

const why = NetnsCluster.unavailableReason({ docker: true, etcd: true });
const skip = why ? (process.env.CI === 'true' ? false : why) : false;

describe('a three-host Docker cluster in network namespaces', { skip }, () => {
  const c = new NetnsCluster({ hosts: 3, docker: true });
  before(async () => {
    await c.up();
    await c.startEtcd();
    await c.startServer(c.hosts[0], ['--host-loss-grace', '5']);
    for (const h of c.hosts) c.startAgent(h);
    await c.registeredHosts();
  });
  after(() => c.down());

  it('spreads a service over the hosts and every router reaches every instance', async () => {
    assert.equal((await c.api('POST', `${c.orchestrator()}/services`, { name: 'web', dockerRepository: c.image(1), ports: [{ container: 9000 }], numInstances: 3 })).status, 201);
    const d = await c.api('POST', `${c.orchestrator()}/services/web/deploy`, {});
    assert.ok(d.status < 300, JSON.stringify(d.body));
    const units = await waitFor('three healthy instances', async () => {
      const r = await c.api('GET', `${c.orchestrator()}/services/web/units`);
      return r.status === 200 && r.body.length === 3 && r.body.every((u: { healthy: boolean }) => u.healthy) ? r.body : undefined;
    }, 120_000);
    console.log(units.map((u: any) => `${u.name} ${u.host} ${u.endpoint}`).join('\n'));
    assert.deepEqual(new Set(units.map((u: { host: string }) => u.host)).size, 3, 'one instance per host');
    // a unit reported healthy reaches every router within moments, not at once
    await waitFor('every router holding the three instances', async () => {
      const r = await c.api('GET', `${c.orchestrator()}/cluster/load-balancers`);
      return r.status === 200 && r.body.length === 3 && r.body.every((lb: any) => lb.router?.services.find((s: { name: string }) => s.name === 'web')?.servers.length === 3);
    }, 30_000);
    for (const h of c.hosts) {
      await waitFor(`${h.name}'s router answering`, async () => (await viaRouter(80, 'web.paz', '/', undefined, h.ip).catch(() => undefined))?.status === 200, 30_000);
      for (let i = 0; i < 12; i++) assert.equal((await viaRouter(80, 'web.paz', '/', undefined, h.ip)).status, 200);
    }
    // every router sent requests to the instances on every host (round robin over the three)
    const lbs = await c.api('GET', `${c.orchestrator()}/cluster/load-balancers`);
    assert.equal(lbs.status, 200);
    for (const lb of lbs.body as Array<{ host: string; router: { services: Array<{ name: string; servers: Array<{ address: string; totalRequests: number }> }> } }>) {
      const web = lb.router.services.find((s) => s.name === 'web')!;
      const reached = web.servers.filter((s) => s.totalRequests > 0).map((s) => s.address).sort();
      assert.deepEqual(reached, c.hosts.map((h) => h.ip).sort(), `router of ${lb.host}: ${JSON.stringify(web.servers)}`);
    }
  });
});
