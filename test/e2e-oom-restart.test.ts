// An app that outgrows its memory limit once, as real ones do under a burst: the kernel kills it, its agent
// restarts it, and it serves again. Once it is healthy its current state has no reason left, so the restart
// count alone used to be all that showed; the unit now keeps why it last restarted (kubectl's "last state"),
// in its API answer and in `paz units`, on `paz up` with the real dockerd and a memory limit it enforces.
// test-lane: docker light
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request, runPaz } from './helpers/paz-server.js';
import { skipUnlessDocker } from './helpers/env.js';
import { startPazUp, type PazUp } from './helpers/paz-up.js';
import { waitFor } from './helpers/wait.js';

interface UnitView {
  name: string;
  state: string;
  healthy: boolean;
  restarts: number;
  reason?: string;
  lastRestart?: { at: number; why: string };
}

const OOM = /killed for using more memory than its limit/;

describe('a unit killed for its memory says so once it runs again', skipUnlessDocker, () => {
  let up: PazUp;

  before(async () => {
    up = await startPazUp();
    // serves at once; once told to (after its deploy has counted it healthy: a timer here raced a deploy slowed
    // by a busy machine), the first run holds 100 MB in a shell variable against a 16 MB limit; the restarted
    // container finds its marker and just serves
    const created = await request('POST', `${up.paz.orchestrator}/services`, {
      name: 'burst',
      dockerRepository: up.env.image1,
      ports: [{ container: 9000 }],
      resources: { memoryMb: 16 },
      command: ['/bin/sh', '-c', 'httpd -p 9000 -h /www; [ -e /tmp/burst ] && exec sleep 100000; touch /tmp/burst; until [ -e /tmp/go ]; do sleep 0.2; done; echo "burst starts"; x=$(head -c 100000000 /dev/zero | tr "\\0" a); sleep 100000'],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });

  after(async () => {
    await up?.close();
  });

  it('the restart count comes with when and why: an OOM kill, in the API and in paz units', async () => {
    const deployed = await runPaz(['deploy', 'burst'], '', up.paz.cliEnv);
    assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
    const [first] = (await request('GET', `${up.paz.orchestrator}/services/burst/units`)).body as UnitView[];
    assert.equal(first?.restarts, 0, 'deployed before the burst');
    const exec = await up.docker.getContainer(first.name).exec({ Cmd: ['touch', '/tmp/go'] });
    // a detached exec's answer holds its dockerd connection open until ended
    const started: unknown = await exec.start({ Detach: true });
    (started as { destroy?: () => void } | undefined)?.destroy?.();
    const unit = await waitFor('burst-1-1 restarted and healthy again', async () => {
      const [u] = (await request('GET', `${up.paz.orchestrator}/services/burst/units`)).body as UnitView[];
      return u && u.restarts >= 1 && u.healthy ? u : undefined;
    }, 60_000, 250);
    console.log(`# after ${unit.restarts} restart(s): ${JSON.stringify(unit.lastRestart)}`);
    assert.equal(unit.reason, undefined, 'healthy again: no reason of its own');
    assert.match(unit.lastRestart?.why ?? '', OOM);
    assert.match(unit.lastRestart?.why ?? '', /burst starts/, 'with the last line it printed');
    assert.ok(Math.abs(Date.now() - unit.lastRestart!.at) < 60_000, 'when, in ms since the epoch');
    const table = await runPaz(['units', 'burst'], '', up.paz.cliEnv);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^burst-1-1\.service .* healthy +1 .*last restart \d+ s ago: killed for using more memory than its limit/m);
  });
});
