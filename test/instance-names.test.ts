// test-lane: light slow
/**
 * An instance number is handed out once per version, never again. A unit whose desired entry is gone may still
 * run: its host's agent was killed while it drained (process-driver units outlive their agent, so a restarted
 * agent adopts them), and nobody stops it until that agent is back. A new unit of the same name placed on
 * another host would run beside it, two processes of one name (the crash loop saw `svc4-1-3` on two hosts at
 * once: a scale-up numbered its new unit after the highest desired entry, which no longer counted the one
 * scaled away). Here, three process-driver agents on one etcd with `paz server`:
 *
 * - `names` runs 3 instances, one per host; the agent of the host that runs `names-1-3` is SIGKILLed;
 * - scaled to 2: `names-1-3` drains, and its desired entry goes (no router holds a request on it), while its
 *   process runs on under the dead agent;
 * - once that host is gone from the cluster (lease expired, before the host-loss grace), another host is drained:
 *   its unit's replacement goes to the third host and must not be called `names-1-3`;
 * - scaled to 3 again: the unit added must not be called `names-1-3` either.
 *
 * Every 100 ms throughout, the processes in the three hosts' cgroups are read: no unit name runs twice.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from './helpers/paz-server.js';
import { waitFor } from './helpers/wait.js';
import { unitProcessesIn, watchUnitsRunningTwice } from './helpers/procs.js';
import { skipUnlessEtcd as skip, startLocalCluster, type LocalCluster } from './helpers/local-agents.js';

const SERVICE = 'names';

const server = `
require('node:http').createServer((q, s) => s.end('i' + process.env.PAZ_INSTANCE + '\\n')).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

interface UnitRow {
  name: string;
  host: string | null;
  healthy: boolean;
  drainingSince?: number;
}

describe('instance numbers are never handed out twice, even while a unit scaled away still runs under a dead agent', { skip }, () => {
  let c: LocalCluster;
  const api = (method: string, path: string, body?: unknown) => request(method, `${c.paz.orchestrator}${path}`, body);
  const units = async (): Promise<UnitRow[]> => (await api('GET', `/services/${SERVICE}/units`)).body as UnitRow[];
  const cgroups = () => [...c.agents.values()].map((a) => a.cgroup);

  before(async () => {
    c = await startLocalCluster('paz-names-', { a: false, b: false, c: false });
  });

  after(async () => {
    await c?.close([SERVICE]);
  });

  it('a drain replacement and a scale-up get numbers of their own, and no unit runs twice', async () => {
    const created = await api('POST', '/services', {
      name: SERVICE,
      dockerRepository: `local/${SERVICE}`,
      command: [process.execPath, '-e', server],
      ports: [{ container: 9000 }],
      numInstances: 3,
      // no health path: the default check, as most services have it
      rollout: { minHealthySeconds: 0, drainSeconds: 1, stopGraceSeconds: 2 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await api('POST', `/services/${SERVICE}/deploy`, {})).status, 201);
    const v1 = await waitFor('three healthy instances, one per host', async () => {
      const u = await units();
      return u.length === 3 && u.every((x) => x.healthy) && new Set(u.map((x) => x.host)).size === 3 ? u : undefined;
    }, 60_000);
    const hostOf = new Map(v1.map((u) => [u.name, u.host!]));
    const deadHost = hostOf.get(`${SERVICE}-1-3`)!;
    const dead = [...c.agents.values()].find((a) => a.id === deadHost)!;
    const twice = watchUnitsRunningTwice(cgroups(), 100);
    let seenTwice: string[] = [];
    try {
      dead.child.kill('SIGKILL');
      await new Promise((r) => dead.child.once('exit', r));
      assert.ok(unitProcessesIn([dead.cgroup]).includes(`${SERVICE}-1-3`), 'the dead agent\'s unit runs on');

      // scaled away while its agent is dead: the entry goes, the process stays
      const scaled = await api('POST', `/services/${SERVICE}/scale`, { numInstances: 2 });
      assert.equal(scaled.status, 200, JSON.stringify(scaled.body));
      assert.deepEqual(scaled.body.doc.draining, [`${SERVICE}-1-3`]);
      await waitFor(`${SERVICE}-1-3's desired entry gone`, async () => !(await units()).some((u) => u.name === `${SERVICE}-1-3`), 30_000, 250);
      await waitFor('the dead host gone from the cluster (its lease expired)', async () => !((await api('GET', '/cluster/hosts')).body as Array<{ ID: string }>).some((h) => h.ID === deadHost), 30_000, 250);
      assert.ok(unitProcessesIn([dead.cgroup]).includes(`${SERVICE}-1-3`), `${SERVICE}-1-3 still runs under the dead agent`);

      // a host drained: its unit's replacement goes to the third host, under a number of its own
      const drainedHost = hostOf.get(`${SERVICE}-1-1`)!;
      const third = hostOf.get(`${SERVICE}-1-2`)!;
      assert.equal((await api('POST', `/cluster/hosts/${drainedHost}/drain`)).status, 200);
      const moved = await waitFor('the drained host\'s unit replaced on the third host, healthy, and retired', async () => {
        const u = await units();
        return u.length === 2 && u.every((x) => x.host === third && x.healthy && x.drainingSince === undefined) ? u.map((x) => x.name).sort() : undefined;
      }, 60_000, 250);
      const replacement = moved.find((n) => n !== `${SERVICE}-1-2`)!;
      assert.notEqual(replacement, `${SERVICE}-1-3`, `the replacement is not named after ${SERVICE}-1-3, which still runs`);
      assert.equal(replacement, `${SERVICE}-1-4`, 'the replacement takes the next number never handed out');

      // scaled up again: the unit added also gets a number of its own
      const up = await api('POST', `/services/${SERVICE}/scale`, { numInstances: 3 });
      assert.equal(up.status, 200, JSON.stringify(up.body));
      assert.deepEqual(up.body.doc.added, [`${SERVICE}-1-5`], 'the unit added takes the next number never handed out');
      await waitFor('three healthy instances on the third host', async () => {
        const u = await units();
        return u.length === 3 && u.every((x) => x.host === third && x.healthy) ? u : undefined;
      }, 60_000, 250);
      const running = unitProcessesIn(cgroups()).sort();
      console.log(`# running now: ${running.join(' ')}`);
      assert.deepEqual(running, [`${SERVICE}-1-2`, `${SERVICE}-1-3`, `${SERVICE}-1-4`, `${SERVICE}-1-5`], 'the three desired units, and the one under the dead agent');
    } finally {
      seenTwice = twice.stop();
      if (seenTwice.length > 0) console.log(`# ran twice: ${seenTwice.join(' ')}`);
    }
    assert.deepEqual(seenTwice, [], 'no unit name ran twice at any sample');
  });
});
