// A host's dockerd restarted under a running service (a docker.io upgrade, `systemctl restart docker`: dockerd
// stops every container on SIGTERM, without live-restore): its agent and router run on. On a one-host cluster
// (test/helpers/netns-cluster.ts: the host's own dockerd, etcd member, `paz server`, `paz agent` and HAProxy
// router), a service of two instances without a health path (the default):
// - while dockerd is down (5 s), the agent does not pile up containers or give up: once dockerd answers again,
//   both units run again, each in exactly one container (their old ones started again or replaced, never both);
// - the router serves them again; prints how long after dockerd came back, and the requests that failed;
// - a deploy after it works as before;
// - restarted again in the middle of a rolling deploy, the deploy still finishes, and only the new version's
//   containers are left (the old ones' removal, refused while dockerd is down, is made once it answers).
// test-lane: light slow
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { NetnsCluster } from './helpers/netns-cluster.js';
import { waitFor } from './helpers/wait.js';
import { viaRouter } from './helpers/load.js';

const why = NetnsCluster.unavailableReason({ docker: true, etcd: true });
const skip = why ? (process.env.CI === 'true' ? false : why) : false;
const SERVICE = 'web';

interface Unit {
  name: string;
  version: number;
  healthy: boolean;
  state: string;
  restarts: number;
}

describe("a host's dockerd restarted under a running service", { skip }, () => {
  const c = new NetnsCluster({ hosts: 1, docker: true });
  const [h1] = c.hosts;
  const units = async (): Promise<Unit[]> => (await c.api('GET', `${c.orchestrator()}/services/${SERVICE}/units`)).body;
  /** this service's containers in the host's dockerd: name and state */
  const containers = (): Array<{ name: string; state: string }> =>
    execFileSync('docker', ['-H', h1.dockerHost!, 'ps', '-a', '--filter', `label=paz.service=${SERVICE}`, '--format', '{{.Names}} {{.State}}'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((l) => ({ name: l.split(' ')[0], state: l.split(' ')[1] }));
  const answers = async (n: number) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push((await viaRouter(80, `${SERVICE}.paz`, '/', undefined, h1.ip).catch(() => undefined))?.body ?? 'failed');
    return out;
  };
  const servesAlone = (version: number) =>
    waitFor(`version ${version} serving alone, 2 instances healthy`, async () => {
      const r = (await c.api('GET', `${c.orchestrator()}/services/${SERVICE}/rollout`)).body?.doc;
      if (r?.version === version && r.state === 'failed') throw new Error(`deploy failed: ${r.reason}`);
      const u = await units();
      return r?.version === version && r.state === 'succeeded' && u.length === 2 && u.every((x) => x.version === version && x.healthy) ? u : undefined;
    }, 120_000);

  before(async () => {
    await c.up();
    await c.startEtcd(1);
    await c.startServer(h1);
    c.startAgent(h1);
    await c.registeredHosts(1);
    const created = await c.api('POST', `${c.orchestrator()}/services`, {
      name: SERVICE, dockerRepository: c.image(1), ports: [{ container: 9000 }], numInstances: 2, rollout: { drainSeconds: 3, stopGraceSeconds: 3 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.ok((await c.api('POST', `${c.orchestrator()}/services/${SERVICE}/deploy`, {})).status < 300);
    await servesAlone(1);
    await waitFor('both routed', async () => (await answers(6)).every((b) => b === 'Hello World 1\n'), 60_000);
  });
  after(() => c.down());

  it('brings both units back in one container each, serves again, and deploys as before', async () => {
    const before = containers();
    assert.deepEqual(before.map((x) => x.state), ['running', 'running']);
    await c.restartDockerd(h1, 5_000);
    const back = Date.now();
    let sent = 0;
    let failed = 0;
    const serving = await waitFor('both units running again and routed', async () => {
      const a = await answers(4);
      sent += a.length;
      failed += a.filter((b) => b !== 'Hello World 1\n').length;
      const u = await units();
      return a.every((b) => b === 'Hello World 1\n') && u.length === 2 && u.every((x) => x.healthy) ? u : undefined;
    }, 90_000, 200);
    const tookMs = Date.now() - back;
    const after = containers();
    console.log(`# dockerd down 5 s, then: serving again ${tookMs} ms after it answered (${failed} of ${sent} requests failed meanwhile); containers before ${before.map((x) => x.name).join(', ')}, after ${after.map((x) => `${x.name} ${x.state}`).join(', ')}; restarts ${serving.map((u) => `${u.name} ${u.restarts}`).join(', ')}`);
    assert.deepEqual(after.map((x) => x.state), ['running', 'running'], 'one container per unit, both running: none left over, none twice');
    assert.deepEqual(after.map((x) => x.name).sort(), before.map((x) => x.name).sort(), 'the units are the same (named after them)');

    const dep = await c.api('POST', `${c.orchestrator()}/services/${SERVICE}/deploy`, { tag: '2' });
    assert.equal(dep.status, 201, JSON.stringify(dep.body));
    await servesAlone(2);
    await waitFor('version 2 routed', async () => (await answers(6)).every((b) => b === 'Hello World 2\n'), 60_000);
    // the old version's containers go once drained (drainSeconds 3)
    let seen = containers();
    await waitFor("the old version's containers removed", async () => (seen = containers()).length === 2, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}; still there: ${JSON.stringify(seen)}`);
    });
  });

  it("restarted in the middle of a rolling deploy: the deploy finishes and only the new version's containers are left", async () => {
    const dep = await c.api('POST', `${c.orchestrator()}/services/${SERVICE}/deploy`, { tag: '1' });
    assert.equal(dep.status, 201, JSON.stringify(dep.body));
    const version = dep.body.doc.version as number;
    assert.equal(version, 3);
    // the new units are placed and starting; a probe-less unit counts healthy only after 2 s running, then
    // must stay so for minHealthySeconds (3 s): the deploy is still under way when dockerd stops
    await waitFor(`version ${version}'s units placed`, async () => (await units()).filter((u) => u.version === version).length === 2, 30_000, 50);
    const mid = (await c.api('GET', `${c.orchestrator()}/services/${SERVICE}/rollout`)).body?.doc;
    assert.equal(mid?.state, 'deploying', `the deploy is under way when dockerd stops: ${JSON.stringify(mid)}`);
    const t0 = Date.now();
    await c.restartDockerd(h1, 3_000);
    const back = Date.now();
    const done = await servesAlone(version);
    await waitFor(`version ${version} routed`, async () => (await answers(6)).every((b) => b === 'Hello World 1\n'), 60_000);
    let seen = containers();
    await waitFor('only the new version\'s containers left, both running', async () => {
      seen = containers();
      return seen.length === 2 && seen.every((x) => x.state === 'running') && seen.every((x) => done.some((u) => u.name === x.name));
    }, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}; there: ${JSON.stringify(seen)}; units: ${JSON.stringify(done.map((u) => u.name))}`);
    });
    console.log(`# dockerd stopped while version ${version} was deploying, and answered again ${Math.round((back - t0) / 100) / 10} s later; the deploy succeeded ${Date.now() - back} ms after dockerd answered again; containers ${seen.map((x) => `${x.name} ${x.state}`).join(', ')}; restarts ${done.map((u) => `${u.name} ${u.restarts}`).join(', ')}`);
  });
});
