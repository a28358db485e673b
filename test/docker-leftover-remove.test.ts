// test-lane: docker light
/**
 * A retired unit's container that dockerd refuses to remove is removed once dockerd can, not left behind.
 * dockerd refuses a remove it cannot make: after a restart under load it may fail to unmount a container's
 * filesystem ("driver overlay2 failed to remove root filesystem: … device or resource busy", seen in
 * test/dockerd-restart), or it is down for a moment. The agent used to log the failed remove and forget the unit:
 * nothing lists a retired unit's container again until the agent restarts, so the container stayed for good.
 *
 * Real dockerd, real docker driver and reconciler (SQLite store); the driver reaches dockerd through a unix-socket
 * proxy that, while told to, answers every `DELETE /containers/…` with the 500 dockerd gives for a busy
 * filesystem and passes every other call on. A unit runs, is retired while removes are refused: its container
 * stays (stopped), the removal is tried again with growing waits, the host's heartbeat reports it (a `leftover`
 * problem naming the unit and dockerd's words), and once dockerd removes again it goes. A new unit of the same
 * name is not started beside the leftover, and an agent stopping meanwhile does not wait for it; the next agent
 * keeps trying in the same way.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LEFTOVER_REPORT_AFTER_ATTEMPTS } from '../src/agent/reconciler.js';
import { checkHost } from '../src/agent/host/host-checks.js';
import type { DesiredUnit } from '../src/core/records.js';
import { dockerTestEnv, skipUnlessDocker } from './helpers/env.js';
import { DockerHost } from './helpers/docker-host.js';
import { waitFor } from './helpers/wait.js';
import { BUSY_MESSAGE, busyRemoveProxy, type BusyRemoveProxy } from './helpers/busy-remove-proxy.js';

const HOST = 'e'.repeat(32);
const SERVICE = `leftover${process.pid}`;

describe("a retired unit's container that dockerd refuses to remove is removed once it can", skipUnlessDocker, () => {
  let proxy: BusyRemoveProxy | undefined;
  /** when each refused DELETE came, ms since the epoch */
  const refusedAt = (): number[] => proxy!.refusedAt;
  let host: DockerHost | undefined;
  let unit: DesiredUnit;
  const containers = () => host!.containers(SERVICE);
  const written = (name: string) => host!.statuses(name);

  before(async () => {
    const env = dockerTestEnv();
    host = new DockerHost({
      tmpPrefix: 'paz-leftover-remove-',
      hostId: HOST,
      services: [SERVICE],
      driver: async (dir) => {
        proxy = await busyRemoveProxy(join(dir, 'docker.sock'));
        return { dockerHost: `unix://${proxy.where}` };
      },
    });
    unit = host.unit(SERVICE, 1, env.image1);
    await host.docker.pull(env.image1).then((stream) => new Promise((resolve, reject) => host!.docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve(undefined)))));
    await host.start();
  });

  after(async () => {
    if (proxy) proxy.refusing = false;
    await host?.close();
    await proxy?.close();
  });

  it('stays retiring while dockerd refuses, is tried again with growing waits, and goes once dockerd removes', async () => {
    await host!.place(unit);
    await waitFor(`${unit.unit} running`, async () => written(unit.unit).some((s) => s.state === 'running' || s.state === 'healthy'), 60_000);
    assert.deepEqual(await containers(), [{ name: unit.unit, state: 'running' }]);

    proxy!.refusing = true;
    await host!.unplace(unit);
    await waitFor('three removes refused', async () => refusedAt().length >= 3, 30_000, 50);
    // the container is stopped and still there; the unit still counts as retiring (not forgotten)
    assert.deepEqual(await containers(), [{ name: unit.unit, state: 'exited' }]);
    assert.ok(host!.reconciler.retiring.has(unit.unit), 'the unit is still being retired');
    // and the agent's heartbeat says so (the host's health: degraded, naming the unit and dockerd's reason)
    await waitFor(`the leftover reported after ${LEFTOVER_REPORT_AFTER_ATTEMPTS} tries`, async () => host!.reconciler.leftovers().length > 0, 10_000, 50);
    const problems = await checkHost({ driver: host!.driver, leftovers: () => host!.reconciler.leftovers() });
    assert.deepEqual(problems, [{
      component: 'leftover',
      message: `${unit.unit}: retired, but its instance cannot be removed (the agent keeps trying): remove ${unit.unit}: ${BUSY_MESSAGE}`,
    }]);
    // a new unit of the same name (placed here again) waits for the leftover instead of meeting it
    await host!.place({ ...unit, createdAt: 2 });
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(host!.reconciler.runners.has(unit.unit), false, 'no runner starts beside the leftover');
    await host!.unplace(unit);

    const waits = refusedAt().slice(1).map((t, i) => t - refusedAt()[i]!);
    console.log(`# removes refused ${refusedAt().length} times, waits between them: ${waits.join(', ')} ms`);
    assert.ok(waits[0]! >= 300, `not tried again at once: ${waits.join(', ')} ms`);
    for (let i = 1; i < waits.length; i++) assert.ok(waits[i]! > waits[i - 1]! * 1.4, `growing waits: ${waits.join(', ')} ms`);

    const refusedBefore = refusedAt().length;
    proxy!.refusing = false;
    const goneAt = Date.now();
    await waitFor('the leftover container removed', async () => (await containers()).length === 0, 60_000, 100);
    await waitFor('the retirement over', async () => !host!.reconciler.retiring.has(unit.unit), 10_000, 50);
    assert.deepEqual(host!.reconciler.leftovers(), [], 'no longer reported once removed');
    console.log(`# removed ${Date.now() - goneAt} ms after dockerd removed again (${refusedBefore} refused before)`);
  });

  it('an agent stopping while a leftover is retried stops at once and leaves it for the next agent, which removes it once it can', async () => {
    await host!.place(unit);
    await waitFor(`${unit.unit} running again`, async () => (await containers()).some((c) => c.state === 'running'), 60_000);
    proxy!.refusing = true;
    const refusedBefore = refusedAt().length;
    await host!.unplace(unit);
    await waitFor('a remove refused', async () => refusedAt().length >= refusedBefore + 2, 30_000, 50);
    const t0 = Date.now();
    await host!.reconciler.stop();
    const stopMs = Date.now() - t0;
    assert.ok(stopMs < 1_000, `the agent stopped in ${stopMs} ms`);
    assert.deepEqual(await containers(), [{ name: unit.unit, state: 'exited' }]);

    // the next agent finds the container of a unit no longer desired (an instance it did not start) and
    // removes it; while dockerd still refuses, it keeps trying and reports it like its own retirements
    const refusedBeforeNext = refusedAt().length;
    host!.reconciler = host!.newReconciler();
    await host!.reconciler.start();
    await waitFor('the next agent reporting the leftover it could not remove', async () => host!.reconciler.leftovers().length > 0, 30_000, 50);
    assert.deepEqual(host!.reconciler.leftovers().map((l) => l.unit), [unit.unit]);
    assert.ok(refusedAt().length >= refusedBeforeNext + LEFTOVER_REPORT_AFTER_ATTEMPTS - 1, `tried again: ${refusedAt().length - refusedBeforeNext} removes refused`);
    proxy!.refusing = false;
    await waitFor('the next agent removes the leftover', async () => (await containers()).length === 0, 30_000, 100);
    await waitFor('the leftover no longer reported', async () => host!.reconciler.leftovers().length === 0, 10_000, 50);
  });
});
