// `paz restart NAME --unit U` on `paz up` with the real dockerd and HAProxy router: the only instance of a
// service without a health path, slow to start, is replaced by a fresh one under load with no failed request, the old
// container is gone when the command returns, and the journal says who asked. A replacement that crashes at
// once, or hangs past its healthy deadline, leaves the old instance serving: the restart says it is stuck and
// why (exit 1), and --cancel withdraws it.
// test-lane: docker heavy
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import type Docker from 'dockerode';
import { type PazProcess, request, runPaz } from './helpers/paz-server.js';
import { skipUnlessDocker, type DockerTestEnv } from './helpers/env.js';
import { startPazUp, type PazUp } from './helpers/paz-up.js';
import { waitFor } from './helpers/wait.js';
import { Load, viaRouter } from './helpers/load.js';

describe('paz restart --unit replaces one instance without a gap', skipUnlessDocker, () => {
  let up: PazUp;
  let env: DockerTestEnv;
  let paz: PazProcess;
  let docker: Docker;
  let routerPort: number;
  const cli = (args: string[]) => runPaz(args, '', paz.cliEnv);
  const containersOf = async (unit: string) => (await docker.listContainers({ all: true, filters: { label: [`paz.unit=${unit}`] } })).map((c) => `${c.Names[0]} ${c.State}`);

  before(async () => {
    up = await startPazUp([], { auth: true });
    ({ env, paz, docker, routerPort } = up);
  });
  after(async () => {
    for (const s of ['bounce', 'picky', 'hangs']) await request('DELETE', `${paz.orchestrator}/services/${s}`, undefined, paz.authHeaders()).catch(() => undefined);
    await up?.close();
  });

  it('the only instance is replaced under load with no failed request, and the old one is gone when it returns', async () => {
    // no health path (the default): the router's own check and the agent's probe of / decide; slow to start (it
    // listens 3 s after its container starts), so the old instance must serve until the new one answers
    const command = ['/bin/sh', '-c', 'sleep 3; exec /bin/sh /app/start.sh'];
    const created = await request('POST', `${paz.orchestrator}/services`, { name: 'bounce', dockerRepository: env.image1, ports: [{ container: 9000 }], numInstances: 1, command, rollout: { drainSeconds: 3 } }, paz.authHeaders());
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const deployed = await cli(['deploy', 'bounce']);
    assert.equal(deployed.code, 0, deployed.stderr);
    await waitFor('bounce.paz to answer', async () => ((await viaRouter(routerPort, 'bounce.paz').catch(() => undefined))?.status === 200 ? true : undefined));
    const load = new Load(routerPort, 'bounce.paz', 50_000, new Agent({ keepAlive: true, maxSockets: 2 }));
    const fresh = new Load(routerPort, 'bounce.paz', 50_000);
    load.start();
    fresh.start();
    let r;
    try {
      r = await cli(['restart', 'bounce', '--unit', 'bounce-1']);
    } finally {
      await load.stop();
      await fresh.stop();
    }
    console.log(`# unit restart under load: ${load.ok + fresh.ok} ok, ${load.failed + fresh.failed} failed, longest gap ${Math.max(load.longestGapMs, fresh.longestGapMs)} ms`);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /^restarting bounce-1-1: a fresh instance replaces it, then it is drained and stopped$/m);
    assert.match(r.stdout, /bounce-1-1 restarted: bounce-1-2 took over, and bounce-1-1 is drained and stopped/);
    assert.deepEqual([...load.failures, ...fresh.failures], [], 'no failed request');
    assert.ok(load.ok > 20 && fresh.ok > 20, `requests kept coming (${load.ok}, ${fresh.ok})`);
    assert.deepEqual(await containersOf('bounce-1-1'), [], 'the old container is gone');
    const units = (await request('GET', `${paz.orchestrator}/services/bounce/units`, undefined, paz.authHeaders())).body as Array<{ name: string; state: string }>;
    assert.deepEqual(units.map((u) => [u.name, u.state]), [['bounce-1-2', 'healthy']]);
    const journal = (await request('GET', `${paz.scheduler}/journal?events=unit-restart&service=bounce`, undefined, paz.authHeaders())).body.doc as Array<{ event: string; actor: string; message: string }>;
    assert.deepEqual(journal.map((e) => [e.event, e.actor, e.message]), [['unit-restart', 'admin', 'restart of bounce-1-1 asked by admin: a fresh instance replaces it, then it is drained and stopped']]);
    // done: following it again says so; a gone unit cannot be restarted, a read-only token may not ask
    const again = await request('GET', `${paz.orchestrator}/services/bounce/units/bounce-1-1/restart`, undefined, paz.authHeaders());
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.deepEqual([again.body.doc.state, again.body.doc.replacement], ['replaced', 'bounce-1-2']);
    // and the request goes (the drain loop stops looking once no restart or drain is left)
    await waitFor('the request to be removed', async () => {
      const done = await request('GET', `${paz.orchestrator}/services/bounce/units/bounce-1-1/restart`, undefined, paz.authHeaders());
      return done.body.doc?.since === undefined ? done.body.doc : undefined;
    }, 10_000);
    const gone = await request('POST', `${paz.orchestrator}/services/bounce/units/bounce-1-1/restart`, {}, paz.authHeaders());
    assert.equal(gone.status, 404, JSON.stringify(gone.body));
    const made = await request('POST', `${paz.orchestrator}/auth/tokens`, { name: 'restart-reader', role: 'read-only' }, paz.authHeaders());
    const refused = await request('POST', `${paz.orchestrator}/services/bounce/units/bounce-1-2/restart`, {}, paz.authHeaders(made.body.token));
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
  });

  it('a replacement that crashes at once leaves the old instance serving: stuck, with why, and --cancel withdraws it', async () => {
    // instance 1 runs; any other instance of this config exits at once
    const command = ['/bin/sh', '-c', '[ "$PAZ_INSTANCE" = 1 ] || { echo "instance $PAZ_INSTANCE refuses to start" >&2; exit 3; }; exec /bin/sh /app/start.sh'];
    const created = await request('POST', `${paz.orchestrator}/services`, { name: 'picky', dockerRepository: env.image1, ports: [{ container: 9000 }], numInstances: 1, command }, paz.authHeaders());
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await cli(['deploy', 'picky'])).code, 0);
    await waitFor('picky.paz to answer', async () => ((await viaRouter(routerPort, 'picky.paz').catch(() => undefined))?.status === 200 ? true : undefined));
    const load = new Load(routerPort, 'picky.paz', 50_000);
    load.start();
    let r;
    try {
      r = await cli(['restart', 'picky', '--unit', 'picky-1-1']);
    } finally {
      await load.stop();
    }
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /picky-1-1 cannot be restarted: stuck: its replacement picky-1-2 crash-looping: .*exited with code 3.*; picky-1-1 keeps serving \(`paz restart picky --unit picky-1-1 --cancel` withdraws it\)/);
    assert.deepEqual(load.failures, [], 'the old instance served throughout');
    // asked again meanwhile: nothing new (one replacement, not two)
    const twice = await request('POST', `${paz.orchestrator}/services/picky/units/picky-1-1/restart`, {}, paz.authHeaders());
    assert.equal(twice.status, 202, JSON.stringify(twice.body));
    assert.equal(twice.body.doc.state, 'stuck');
    const cancelled = await cli(['restart', 'picky', '--unit', 'picky-1-1', '--cancel']);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.match(cancelled.stdout, /restart of picky-1-1 withdrawn/);
    await waitFor('the replacement to be gone', async () => {
      const units = (await request('GET', `${paz.orchestrator}/services/picky/units`, undefined, paz.authHeaders())).body as Array<{ name: string }>;
      return units.map((u) => u.name).join() === 'picky-1-1' && (await containersOf('picky-1-2')).length === 0 ? true : undefined;
    }, 60_000);
    assert.equal((await viaRouter(routerPort, 'picky.paz')).status, 200);
    const none = await request('GET', `${paz.orchestrator}/services/picky/units/picky-1-1/restart`, undefined, paz.authHeaders());
    assert.equal(none.status, 404, JSON.stringify(none.body));
    assert.match(none.body.message, /no restart of "picky-1-1" is under way: ask for one with paz restart picky --unit picky-1-1/);
  });

  it('a replacement that hangs (never listens, never exits) is stuck once past its healthy deadline, and the old instance serves on', async () => {
    // instance 1 serves; any other instance of this config sleeps without ever listening
    const command = ['/bin/sh', '-c', '[ "$PAZ_INSTANCE" = 1 ] || exec sleep 3600; exec /bin/sh /app/start.sh'];
    const created = await request('POST', `${paz.orchestrator}/services`, { name: 'hangs', dockerRepository: env.image1, ports: [{ container: 9000 }], numInstances: 1, command, rollout: { healthyDeadlineSeconds: 8, stopGraceSeconds: 1 } }, paz.authHeaders());
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await cli(['deploy', 'hangs'])).code, 0);
    await waitFor('hangs.paz to answer', async () => ((await viaRouter(routerPort, 'hangs.paz').catch(() => undefined))?.status === 200 ? true : undefined));
    const load = new Load(routerPort, 'hangs.paz', 50_000);
    load.start();
    const started = Date.now();
    let r;
    try {
      r = await cli(['restart', 'hangs', '--unit', 'hangs-1-1']);
    } finally {
      await load.stop();
    }
    console.log(`# a hanging replacement was called stuck after ${((Date.now() - started) / 1000).toFixed(1)} s (deadline 8 s); ${load.ok} ok, ${load.failed} failed`);
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /hangs-1-1 cannot be restarted: stuck: its replacement hangs-1-2 was not healthy within 8 s: .*; hangs-1-1 keeps serving \(`paz restart hangs --unit hangs-1-1 --cancel` withdraws it\)/);
    assert.deepEqual(load.failures, [], 'the old instance served throughout');
    assert.equal((await cli(['restart', 'hangs', '--unit', 'hangs-1-1', '--cancel'])).code, 0);
    await waitFor('the hanging replacement to be gone', async () => ((await containersOf('hangs-1-2')).length === 0 ? true : undefined), 60_000);
    assert.equal((await viaRouter(routerPort, 'hangs.paz')).status, 200);
  });

  it('is refused while the service deploys, and for an unknown unit or service, saying what to do', async () => {
    const unknownUnit = await cli(['restart', 'bounce', '--unit', 'bounce-9-9']);
    assert.equal(unknownUnit.code, 1);
    assert.match(unknownUnit.stderr, /has no unit "bounce-9-9"/);
    const unknownService = await request('POST', `${paz.orchestrator}/services/nope/units/nope-1-1/restart`, {}, paz.authHeaders());
    assert.equal(unknownService.status, 404);
    assert.equal(unknownService.body.code, 'PAZ_SERVICE_NOT_FOUND');
    const usage = await cli(['restart', 'bounce', '--cancel']);
    assert.equal(usage.code, 2);
    // right after a deploy is asked, its rollout is under way
    const slow = await request('POST', `${paz.orchestrator}/services/bounce/deploy`, { tag: '2' }, paz.authHeaders());
    assert.equal(slow.status, 201, JSON.stringify(slow.body));
    const during = await request('POST', `${paz.orchestrator}/services/bounce/units/bounce-1-2/restart`, {}, paz.authHeaders());
    assert.equal(during.status, 409, JSON.stringify(during.body));
    assert.match(during.body.message, /is deploying version 2 right now: restart bounce-1-2 once that rollout ends/);
  });
});
