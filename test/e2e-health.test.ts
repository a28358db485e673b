// Issue 8, "Health means the app answers": `paz up` with its HAProxy router and the real dockerd (with Docker's
// userland proxy, which accepts connections on published ports while nothing listens in the container). No
// test here sets a healthCheck.path: the default probe must see the app itself.
// - a version that listens only after 8 s (inside the default start-up grace of 30 s), deployed under load:
//   0 failed requests; it is healthy only once it answers, the old version drains only after that, and the router sends nothing to an instance the agent
//   has not seen healthy;
// - a version that accepts connections but never answers: never healthy, the old version keeps serving with
//   0 failed requests, its unit is restarted with growing delays.
// (Its cases without a load loop are in e2e-health-restarts.test.ts, which may run beside a busy file.)
// test-lane: docker heavy slow
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { type PazProcess, request } from './helpers/paz-server.js';
import { skipUnlessDocker, type DockerTestEnv } from './helpers/env.js';
import { startPazUp, type PazUp } from './helpers/paz-up.js';
import { waitFor } from './helpers/wait.js';
import { Load, viaRouter } from './helpers/load.js';
import { rolloutOf, servesAlone } from './helpers/rollout.js';

interface UnitView {
  name: string;
  service: string;
  version: number;
  state: string;
  healthy: boolean;
  restarts: number;
  reason?: string;
  startedAt?: number;
  healthySince?: number;
  lastProbe?: { at: number; ok: boolean; error?: string };
}

/** The image's own entry point (examples/hello/rootfs/app/start.sh), started 8 s late. */
const LISTENS_AFTER_8S = ['/bin/sh', '-c', 'sleep 8; exec /bin/sh /app/start.sh'];
/** Accepts every connection on 9000 and never writes a byte (busybox nc: -ll keeps listening, -e runs sleep per connection). */
const NEVER_ANSWERS = ['/bin/nc', '-ll', '-p', '9000', '-e', '/bin/sleep', '3600'];

describe('health means the app answers', skipUnlessDocker, () => {
  let up: PazUp;
  let env: DockerTestEnv;
  let paz: PazProcess;
  let routerPort: number;
  const rollout = (name: string) => rolloutOf(paz.orchestrator, name);
  const units = async (service: string): Promise<UnitView[]> =>
    ((await request('GET', `${paz.orchestrator}/cluster/units`)).body as UnitView[]).filter((u) => u.service === service);
  const routedServers = async (service: string): Promise<Array<{ name: string; status: string }>> => {
    const lbs = (await request('GET', `${paz.orchestrator}/cluster/load-balancers`)).body;
    return lbs[0]?.router?.services?.find((s: { name: string }) => s.name === service)?.servers ?? [];
  };
  const settled = (name: string, version: number) => servesAlone(paz.orchestrator, name, version, 90_000);

  before(async () => {
    up = await startPazUp();
    ({ env, paz, routerPort } = up);
    const created = await request('POST', `${paz.orchestrator}/services`, {
      name: 'late',
      dockerRepository: env.image1,
      ports: [{ container: 9000 }],
      numInstances: 2,
      rollout: { drainSeconds: 2, healthyDeadlineSeconds: 60, stopGraceSeconds: 2, maxSurge: 1 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await request('POST', `${paz.orchestrator}/services/late/deploy`, {})).status, 201);
    await settled('late', 1);
    await waitFor('the router to route late.paz', async () => (await viaRouter(routerPort, 'late.paz')).body === 'Hello World 1\n');
  });
  after(() => up?.close());

  it('a version that listens only after 8 s is deployed under load with 0 failed requests', async () => {
    const load = new Load(routerPort, 'late.paz', 100_000);
    /** when each version 2 server was first seen UP in the router */
    const firstRouted = new Map<string, number>();
    const drainedBeforeNewAnswered: string[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [servers, views] = await Promise.all([routedServers('late'), units('late')]);
        const healthyV2 = views.filter((u) => u.version === 2 && u.healthySince !== undefined);
        const sampledAt = Date.now();
        for (const s of servers.filter((x) => x.name.startsWith('late-2-') && x.status === 'UP')) {
          if (!firstRouted.has(s.name)) firstRouted.set(s.name, sampledAt);
        }
        for (const u of views.filter((x) => x.version === 1 && x.state === 'stopping')) {
          if (healthyV2.length === 0) drainedBeforeNewAnswered.push(u.name);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    load.start();
    try {
      await new Promise((r) => setTimeout(r, 500));
      assert.equal((await request('PATCH', `${paz.orchestrator}/services/late/config/next`, { command: LISTENS_AFTER_8S })).status, 200);
      assert.equal((await request('POST', `${paz.orchestrator}/services/late/deploy`, { tag: '2' })).status, 201);
      const waiting = await waitFor('a version 2 unit running and waiting for its app', async () =>
        (await units('late')).find((u) => u.version === 2 && u.state === 'running' && /waiting for the health check: GET \/ gets an HTTP answer/.test(u.reason ?? '')),
      );
      assert.equal(waiting.healthy, false);
      await settled('late', 2);
      await waitFor('only version 2 answering', async () => (await viaRouter(routerPort, 'late.paz')).body === 'Hello World 2\n');
    } finally {
      sampling = false;
      await sampler;
      await load.stop();
    }
    console.log(`# slow listener: ok=${load.ok} failed=${load.failed} bodies=${JSON.stringify(Object.fromEntries(load.bodies))}`);
    const v2 = (await units('late')).filter((u) => u.version === 2);
    for (const u of v2) {
      // the app cannot answer before its 8 s sleep is over: healthy means it answered
      assert.ok(u.healthySince! - u.startedAt! >= 7000, `${u.name} healthy ${u.healthySince! - u.startedAt!} ms after start`);
      assert.equal(u.lastProbe?.ok, true);
    }
    // the router never routed a unit before the agent's probe had passed (healthySince is when it passed)
    assert.ok(firstRouted.size > 0, 'version 2 was seen in the router');
    for (const [name, at] of firstRouted) {
      const since = v2.find((u) => u.name === name)?.healthySince;
      assert.ok(since !== undefined && since <= at, `${name} routed at ${at}, seen healthy at ${since}`);
    }
    assert.deepEqual(drainedBeforeNewAnswered, [], 'version 1 was stopped before version 2 answered');
    assert.equal(load.failed, 0, `failed requests: ${load.failures.slice(0, 5).join(' | ')}`);
    assert.ok((load.bodies.get('Hello World 1') ?? 0) > 0 && (load.bodies.get('Hello World 2') ?? 0) > 0);
  });

  it('a version that accepts connections but never answers never replaces the old one; its unit restarts with growing delays', async () => {
    assert.equal(
      (await request('PATCH', `${paz.orchestrator}/services/late/config/next`, {
        command: NEVER_ANSWERS,
        healthCheck: { intervalSeconds: 0.5, timeoutSeconds: 1, gracePeriodSeconds: 1 },
        rollout: { drainSeconds: 2, healthyDeadlineSeconds: 30, stopGraceSeconds: 1, maxSurge: 1 },
      })).status,
      200,
    );
    const dep = await request('POST', `${paz.orchestrator}/services/late/deploy`, { tag: '1' });
    assert.equal(dep.status, 201);
    const version: number = dep.body.doc.version;
    const load = new Load(routerPort, 'late.paz', 100_000);
    load.start();
    /** "restart N in D s" announcements of the new version's units, in the order seen */
    const announced = new Map<string, number>();
    let everHealthy = false;
    try {
      await waitFor('three restarts of a unit that never answers', async () => {
        const r = await rollout('late');
        for (const u of r.units.filter((x: UnitView) => x.version === version)) {
          if (u.healthy) everHealthy = true;
          const m = /restart (\d+) in (\d+) s/.exec(u.reason ?? '');
          if (m) announced.set(`${u.name} #${m[1]}`, Number(m[2]));
        }
        return announced.size >= 3 || (r.version === version && r.state !== 'deploying') ? true : undefined;
      }, 60_000, 150);
      // the old version keeps serving whatever the rollout decides
      assert.equal((await viaRouter(routerPort, 'late.paz')).body, 'Hello World 2\n');
    } finally {
      await load.stop();
    }
    const reasons = (await units('late')).filter((u) => u.version === version).map((u) => u.reason);
    console.log(`# never answers: ok=${load.ok} failed=${load.failed} bodies=${JSON.stringify(Object.fromEntries(load.bodies))} restarts=${JSON.stringify(Object.fromEntries(announced))} reasons=${JSON.stringify(reasons)}`);
    assert.equal(everHealthy, false, 'a unit that never answers was reported healthy');
    const delays = [...announced.entries()].filter(([k]) => k.startsWith(`late-${version}-1 `)).map(([, d]) => d);
    assert.ok(delays.length >= 3, `restarts seen: ${JSON.stringify(Object.fromEntries(announced))}`);
    for (let i = 1; i < delays.length; i++) assert.ok(delays[i] > delays[i - 1], `restart delays grow: ${delays.join(', ')} s`);
    assert.equal(load.failed, 0, `failed requests: ${load.failures.slice(0, 5).join(' | ')}`);
    assert.deepEqual([...load.bodies.keys()], ['Hello World 2'], 'only the old version answered');
    const serving = (await units('late')).filter((u) => u.version === 2);
    assert.equal(serving.length, 2);
    assert.ok(serving.every((u) => u.healthy));
  });
});
