// Control-plane HA: three `paz server` replicas on a three-member etcd, an agent on every host (process
// driver). The leading server is SIGKILLed half-way through a rolling deploy; another replica takes over and
// the deploy completes: the record ends succeeded, every instance runs the new version, the old ones are
// gone, and no unit ever ran twice (sampled from /proc on every host during the whole test).
// test-lane: light slow
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { NetnsCluster } from './helpers/netns-cluster.js';
import { waitFor } from './helpers/wait.js';
import { duplicates, leaderOf, liveOrchestrator, slowService, startHaCluster, unitProcesses, watchForDuplicates, type HaCluster } from './helpers/ha-cluster.js';

const why = NetnsCluster.unavailableReason({ etcd: true });
const skip = why ? (process.env.CI === 'true' ? false : why) : false;

const INSTANCES = 6;

describe('the leading server killed half-way through a rolling deploy', { skip }, () => {
  const c = new NetnsCluster({ hosts: 3 });
  let ha: HaCluster;
  let dupWatch: ReturnType<typeof watchForDuplicates> | undefined;
  before(async () => {
    ha = await startHaCluster(c);
  });
  after(async () => {
    dupWatch?.stop();
    await ha?.store.close();
    await c.down();
  });

  it('another server takes over and the deploy completes, no unit twice', async () => {
    dupWatch = watchForDuplicates(c);
    let api = await liveOrchestrator(ha);
    // two new instances at a time, each ~2.5 s to listen: a 6-instance rollout takes several rounds
    assert.equal((await c.api('POST', `${api}/services`, slowService('web', INSTANCES, 2500, { maxSurge: 2 }))).status, 201);
    assert.equal((await c.api('POST', `${api}/services/web/deploy`, {})).status, 201);
    await waitFor('version 1 rolled out', async () => {
      const r = await c.api('GET', `${api}/services/web/rollout`);
      return r.status === 200 && r.body.doc.state === 'succeeded' && r.body.doc.version === 1;
    }, 120_000);

    const d2 = await c.api('POST', `${api}/services/web/deploy`, {});
    assert.equal(d2.status, 201, JSON.stringify(d2.body));
    // half-way: some new instances healthy, not all
    const midway = await waitFor('the rollout of version 2 half-way', async () => {
      const r = await c.api('GET', `${api}/services/web/units`);
      if (r.status !== 200) return undefined;
      const healthyNew = r.body.filter((u: { version: number; healthy: boolean }) => u.version === 2 && u.healthy).length;
      return healthyNew >= 1 && healthyNew < INSTANCES ? healthyNew : undefined;
    }, 60_000, 100);
    const leader = await leaderOf(ha);
    assert.ok(leader, 'a server leads');
    const killedAt = Date.now();
    leader.process.child.kill('SIGKILL');
    await leader.process.exited;
    const stateAtKill = (await c.api('GET', `${await liveOrchestrator(ha, leader.host)}/services/web/rollout`)).body.doc;
    assert.equal(stateAtKill.state, 'deploying', 'the rollout was still going when the leader died');

    const next = await waitFor('another server leading', async () => {
      const l = await leaderOf(ha);
      return l && l.id !== leader.id ? l : undefined;
    }, 60_000, 100);
    const takeoverMs = Date.now() - killedAt;
    api = await liveOrchestrator(ha, leader.host);

    await waitFor('version 2 rolled out', async () => {
      const r = await c.api('GET', `${api}/services/web/rollout`);
      return r.status === 200 && r.body.doc.version === 2 && r.body.doc.state !== 'deploying' ? r.body.doc : undefined;
    }, 120_000);
    const doneMs = Date.now() - killedAt;
    const rollout = (await c.api('GET', `${api}/services/web/rollout`)).body.doc;
    assert.equal(rollout.state, 'succeeded', JSON.stringify(rollout));
    assert.equal(rollout.serving, 2);

    // the old instances drain and stop: what runs is exactly the new version's six units, each once
    const running = await waitFor('exactly the six new instances running', async () => {
      const procs = unitProcesses(c);
      return procs.length === INSTANCES && procs.every((p) => p.version === 2) ? procs : undefined;
    }, 60_000);
    const units = (await c.api('GET', `${api}/services/web/units`)).body as Array<{ name: string; version: number; healthy: boolean }>;
    assert.deepEqual(units.map((u) => u.name).sort(), running.map((p) => p.unit).sort(), 'the store and the hosts agree');
    assert.ok(units.every((u) => u.version === 2 && u.healthy), JSON.stringify(units));
    assert.deepEqual(duplicates(running), []);

    // the killed replica comes back as a follower
    ha.servers.set(leader.host.name, await c.startServer(leader.host));
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await leaderOf(ha))?.id, next.id, 'the new leader keeps leading when the old one returns');
    const twice = dupWatch.stop();
    assert.deepEqual(twice, [], 'no unit ran twice at any sample');
    console.log(`figures: killed leader ${leader.host.name} with ${midway}/${INSTANCES} new instances healthy; ${next.host.name} took over in ${(takeoverMs / 1000).toFixed(1)} s; deploy succeeded ${(doneMs / 1000).toFixed(1)} s after the kill; ${running.length} instances of v2 on ${new Set(running.map((p) => p.host)).size} hosts; unit processes sampled ${dupWatch.samples()} times, duplicates 0`);
  });
});
