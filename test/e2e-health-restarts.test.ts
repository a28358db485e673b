// Issue 8, "Health means the app answers", the cases without a load loop (e2e-health.test.ts has those): `paz up`
// with its HAProxy router and the real dockerd, no healthCheck.path set.
// - a unit that exits shows its exit code and its last lines of output;
// - a unit whose stop takes its whole grace period does not hold back a new unit on the same host;
// - an app that stops answering after being healthy is found and restarted.
// test-lane: docker light
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { type PazProcess, request } from './helpers/paz-server.js';
import { skipUnlessDocker, type DockerTestEnv } from './helpers/env.js';
import { startPazUp, type PazUp } from './helpers/paz-up.js';
import { waitFor } from './helpers/wait.js';
import { viaRouter } from './helpers/load.js';

interface UnitView {
  name: string;
  service: string;
  healthy: boolean;
  restarts: number;
  reason?: string;
}

describe('health means the app answers: exits, slow stops, apps that stop answering', skipUnlessDocker, () => {
  let up: PazUp;
  let env: DockerTestEnv;
  let paz: PazProcess;
  let docker: Docker;
  let routerPort: number;
  const units = async (service: string): Promise<UnitView[]> =>
    ((await request('GET', `${paz.orchestrator}/cluster/units`)).body as UnitView[]).filter((u) => u.service === service);

  before(async () => {
    up = await startPazUp();
    ({ env, docker, paz, routerPort } = up);
  });
  after(() => up?.close());

  it("a unit that exits says why in its own words: exit code and last lines of output", async () => {
    const created = await request('POST', `${paz.orchestrator}/services`, {
      name: 'crashy',
      dockerRepository: env.image1,
      // one stream (stderr): Docker copies stdout and stderr separately, so their lines may interleave in another order
      command: ['/bin/sh', '-c', 'exec 1>&2; for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "starting step $i"; done; echo "config.yml not found"; exit 3'],
      ports: [{ container: 9000 }],
      numInstances: 1,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await request('POST', `${paz.orchestrator}/services/crashy/deploy`, {})).status, 201);
    const exited = await waitFor('the unit to exit', async () => (await units('crashy')).find((u) => /exited with code 3/.test(u.reason ?? '')) as (UnitView & { lastOutput?: string[] }) | undefined);
    console.log(`# crashy: reason=${JSON.stringify(exited.reason)} lastOutput=${JSON.stringify(exited.lastOutput)}`);
    assert.match(exited.reason!, /exited with code 3: config\.yml not found/);
    assert.equal(exited.lastOutput?.length, 10);
    assert.equal(exited.lastOutput?.at(-1), 'config.yml not found');
    assert.equal(exited.lastOutput?.[0], 'starting step 4');
    assert.equal((await request('DELETE', `${paz.orchestrator}/services/crashy`)).status < 300, true);
  });

  it("one unit's slow stop does not hold back a new unit on the same host", async () => {
    // SIGTERM is ignored (an ignored signal stays ignored across exec): its stop takes the whole grace period
    const stubborn = await request('POST', `${paz.orchestrator}/services`, {
      name: 'stubborn',
      dockerRepository: env.image1,
      command: ['/bin/sh', '-c', "trap '' TERM; exec /bin/sleep 3600"],
      numInstances: 1,
      rollout: { drainSeconds: 0, stopGraceSeconds: 60 },
    });
    assert.equal(stubborn.status, 201, JSON.stringify(stubborn.body));
    assert.equal((await request('POST', `${paz.orchestrator}/services/stubborn/deploy`, {})).status, 201);
    const unit = await waitFor('the stubborn unit running', async () => (await units('stubborn')).find((u) => u.healthy));
    assert.match(unit.reason ?? '', /no ports: running is all that is known/);
    assert.equal((await request('POST', `${paz.orchestrator}/services/stubborn/scale`, { numInstances: 0 })).status, 200);
    const container = docker.getContainer(unit.name);
    await waitFor('the stubborn unit being stopped', async () => (await units('stubborn')).length === 0 || undefined, 30_000);
    // its container still runs out its 60 s grace while a new service starts on the same host
    const created = await request('POST', `${paz.orchestrator}/services`, { name: 'quick', dockerRepository: env.image1, ports: [{ container: 9000 }], numInstances: 1 });
    assert.equal(created.status, 201);
    assert.equal((await request('POST', `${paz.orchestrator}/services/quick/deploy`, {})).status, 201);
    await waitFor('the new unit healthy', async () => (await units('quick')).find((u) => u.healthy));
    assert.equal((await container.inspect()).State.Running, true, 'the new unit was started while the old one was still stopping');
    await waitFor('quick answering through the router', async () => (await viaRouter(routerPort, 'quick.paz')).body === 'Hello World 1\n');
  });

  it('an app that stops answering after being healthy is found and restarted', async () => {
    const before = (await units('quick')).find((u) => u.healthy)!;
    // freeze the web server: the kernel still accepts connections, nothing answers them
    const exec = await docker.getContainer(before.name).exec({ Cmd: ['/bin/sh', '-c', 'kill -STOP $(pidof httpd)'] });
    // a detached exec still answers with a stream that holds its dockerd connection open: end it, or this
    // file's process outlives its tests until dockerd drops the connection
    const started: unknown = await exec.start({ Detach: true });
    (started as { destroy?: () => void } | undefined)?.destroy?.();
    const found = await waitFor('the frozen app found unhealthy', async () => (await units('quick')).find((u) => /stopped answering/.test(u.reason ?? '')));
    console.log(`# frozen: ${found.reason}`);
    assert.equal(found.healthy, false);
    const back = await waitFor('the unit restarted and answering again', async () => (await units('quick')).find((u) => u.healthy && u.restarts > before.restarts), 90_000);
    assert.equal(back.name, before.name);
    await waitFor('quick answering through the router again', async () => (await viaRouter(routerPort, 'quick.paz')).body === 'Hello World 1\n');
  });
});
