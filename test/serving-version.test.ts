// "A failed version stays failed", on a real SQLite store with the real rollout controller: the serving
// version is recorded when a deploy succeeds and kept when one fails; config/last, scale and rollback follow
// it; a failed version's units are removed and scaling never brings them back. The agent's part (placing
// a unit and reporting its status) is written here as an agent would write it.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pino } from 'pino';
import { SqliteStore } from '../src/store/index.js';
import { Directory } from '../src/state/directory.js';
import { Deploys } from '../src/state/deploys.js';
import { RolloutController } from '../src/control/rollout-controller.js';
import { keys } from '../src/core/keys.js';
import type { DesiredUnit, UnitStatus } from '../src/core/records.js';
import { rangeJson } from '../src/store/json.js';
import { tmpDir } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';

describe('the serving version', () => {
  let store: SqliteStore;
  let deploys: Deploys;
  let controller: RolloutController;
  const units = async (service = 'web') => (await rangeJson<DesiredUnit>(store, keys.desiredUnitsOf(service))).entries.map((e) => e.value).sort((a, b) => a.unit.localeCompare(b.unit));
  const stateOf = async (v: number, service = 'web') => (await deploys.rolloutStatus(service, v))?.state;

  /** What the placement loop and an agent on host h1 would write for every unit of `version`. */
  async function runOnH1(version: number, status: Partial<UnitStatus>, service = 'web'): Promise<void> {
    for (const u of await units(service)) {
      if (u.version !== version || u.hold) continue;
      await store.put(keys.desiredUnit(service, u.unit), JSON.stringify({ ...u, host: 'h1' }));
      const s: UnitStatus = { unit: u.unit, host: 'h1', state: 'healthy', healthy: true, restarts: 0, image: u.spec.image, updatedAt: Date.now(), ...status };
      await store.put(keys.unitStatus(u.unit), JSON.stringify(s));
    }
  }

  before(async () => {
    store = new SqliteStore(join(tmpDir('paz-serving-'), 'store.db'));
    deploys = new Deploys(store);
    await new Directory(store).create({ name: 'web', dockerRepository: '127.0.0.1:5000/paz/hello:1', ports: [{ container: 9000 }], numInstances: 2, rollout: { minHealthySeconds: 0, drainSeconds: 0 } });
    controller = new RolloutController(store, pino({ level: 'silent' }), Date.now, 50);
    await controller.start();
  });
  after(async () => {
    await controller.stop();
    await store.close();
  });

  it('is recorded when a deploy succeeds', async () => {
    assert.equal(await deploys.servingVersion('web'), 0, 'nothing serves before the first deploy succeeds');
    await deploys.deploy('web', { trigger: { source: 'api' } });
    // a scale during the deploy adds held instances of the version being deployed; its rollout starts them
    const scaled = await deploys.scale('web', 3);
    assert.deepEqual(scaled, { version: 1, added: ['web-1-3'], draining: [] });
    await waitFor('web-1-3 released', async () => (await units()).every((u) => !u.hold) || undefined, 5000, 20);
    await runOnH1(1, { healthySince: Date.now() - 1000 });
    await waitFor('version 1 to succeed', async () => (await stateOf(1)) === 'succeeded' || undefined, 5000, 20);
    assert.equal(await deploys.servingVersion('web'), 1);
    assert.equal(Number((await store.get(keys.serving('web')))!.value), 1);
  });

  it('stays when a deploy fails; the failed version leaves nothing, and scaling adds the serving version', async () => {
    await store.put(keys.service('web'), JSON.stringify({ ...(await new Directory(store).get('web')), dockerRepository: '127.0.0.1:5000/paz/hello:9' }));
    await deploys.deploy('web', { trigger: { source: 'api' } });
    await runOnH1(2, { state: 'failed', healthy: false, reason: 'IMAGE_NOT_FOUND: image 127.0.0.1:5000/paz/hello:9 not found' });
    await waitFor('version 2 to fail', async () => (await stateOf(2)) === 'failed' || undefined, 5000, 20);
    // the units that had failed when the controller decided, named together (2 or 3: the statuses land one by one)
    assert.match((await deploys.rolloutStatus('web', 2))!.reason!, /version 2 failed: web-2-1(, web-2-\d)*( and web-2-\d)? failed: IMAGE_NOT_FOUND[^;]*; version 1 keeps serving$/);
    await waitFor('version 2 units removed', async () => (await units()).every((u) => u.version === 1) || undefined, 5000, 20);
    assert.equal(await deploys.latestVersion('web'), 2);
    assert.equal(await deploys.servingVersion('web'), 1);
    assert.equal((await deploys.current('web')).version, 1, 'config/last shows what serves');
    // each version's record carries its outcome (GET /services/:name/versions, the dashboard's History)
    const outcomes = (await deploys.recordsWithOutcome('web')).map((r) => [r.version, r.outcome?.state, r.outcome?.reason]);
    assert.deepEqual(outcomes.map(([v, s]) => [v, s]), [[1, 'succeeded'], [2, 'failed']]);
    assert.match(String(outcomes[1][2]), /IMAGE_NOT_FOUND/);

    const up = await deploys.scale('web', 4);
    assert.deepEqual(up, { version: 1, added: ['web-1-4'], draining: [] });
    assert.equal((await units()).find((u) => u.unit === 'web-1-4')?.hold, undefined, 'no deploy runs: it starts at once');
    const down = await deploys.scale('web', 1);
    assert.deepEqual(down, { version: 1, added: [], draining: ['web-1-2', 'web-1-3', 'web-1-4'] });
    await waitFor('drained instances removed', async () => (await units()).length === 1 || undefined, 5000, 20);
    assert.deepEqual((await units()).map((u) => u.unit), ['web-1-1']);
    // the numbers scaled away are not handed out again (their instances may still run where an agent is away)
    assert.equal((await store.get(keys.instancesIssued('web', 1)))?.value, '4', 'the mark: the highest number version 1 handed out');
    const again = await deploys.scale('web', 2);
    assert.deepEqual(again, { version: 1, added: ['web-1-5'], draining: [] });
    // a version from before marks (no mark): a scale down records what its entries say before any goes
    await store.delete(keys.instancesIssued('web', 1));
    assert.deepEqual(await deploys.scale('web', 1), { version: 1, added: [], draining: ['web-1-5'] });
    await waitFor('drained instance removed', async () => (await units()).length === 1 || undefined, 5000, 20);
    assert.deepEqual((await deploys.scale('web', 2)).added, ['web-1-6']);
    assert.equal((await store.get(keys.instancesIssued('web', 1)))?.value, '6');
  });

  it('rollback does not go to a version that failed: with none good before the serving one it says so, and naming it works', async () => {
    await new Directory(store).create({ name: 'api', dockerRepository: '127.0.0.1:5000/paz/hello:9', ports: [{ container: 9000 }], numInstances: 1, rollout: { minHealthySeconds: 0, drainSeconds: 0 } });
    await deploys.deploy('api', { trigger: { source: 'api' } });
    await runOnH1(1, { state: 'failed', healthy: false, reason: 'IMAGE_NOT_FOUND: image 127.0.0.1:5000/paz/hello:9 not found' }, 'api');
    await waitFor('api version 1 to fail', async () => (await stateOf(1, 'api')) === 'failed' || undefined, 5000, 20);
    await store.put(keys.service('api'), JSON.stringify({ ...(await new Directory(store).get('api')), dockerRepository: '127.0.0.1:5000/paz/hello:1' }));
    await deploys.deploy('api', { trigger: { source: 'api' } });
    await runOnH1(2, { healthySince: Date.now() - 1000 }, 'api');
    await waitFor('api version 2 to succeed', async () => (await stateOf(2, 'api')) === 'succeeded' || undefined, 5000, 20);
    await assert.rejects(deploys.rollback('api'), (err: Error & { code?: string; details?: unknown }) => {
      assert.match(err.message, /^service "api" has no version before version 2 \(which serves\) whose deploy succeeded \(1 failed\): to deploy one of them again, name it \(\{"version": 1\}\)$/);
      assert.deepEqual(err.details, { name: 'api', serving: 2, earlier: [1] });
      return true;
    });
    assert.equal(await deploys.latestVersion('api'), 2, 'nothing was deployed');
    // scaled since version 1 was deployed (with 1 instance): the rollback keeps the count of now
    await deploys.scale('api', 2);
    const named = await deploys.rollback('api', 1);
    assert.deepEqual([named.version, named.trigger.rollbackOf, named.config.numInstances], [3, 1, 2]);
    assert.equal((await units('api')).filter((u) => u.version === 3).length, 2);
  });

  it('rollback goes before the serving version; services from before the record fall back to the newest success', async () => {
    await assert.rejects(deploys.rollbackTarget('web'), /no version before version 1, which serves/);
    await store.put(keys.service('web'), JSON.stringify({ ...(await new Directory(store).get('web')), dockerRepository: '127.0.0.1:5000/paz/hello:2' }));
    await deploys.deploy('web', { trigger: { source: 'api' } });
    await runOnH1(3, { healthySince: Date.now() - 1000 });
    await waitFor('version 3 to succeed', async () => (await stateOf(3)) === 'succeeded' || undefined, 5000, 20);
    assert.equal(await deploys.servingVersion('web'), 3);
    assert.equal((await deploys.rollbackTarget('web')).version, 1, 'version 2 failed');
    await store.delete(keys.serving('web'));
    assert.equal(await deploys.servingVersion('web'), 3, 'no record: the newest version that succeeded');

    const journal = await deploys.journal({ service: 'web' });
    assert.deepEqual([...new Set(journal.map((e) => e.event))], ['deploy'], "Paz's journal: deploys only");
    const all = (await deploys.journal({ service: 'web', all: true })).map((e) => e.event);
    for (const k of ['deploy', 'scale', 'deploy-succeeded', 'deploy-failed']) assert.ok(all.includes(k as never), k);
    assert.deepEqual((await deploys.journal({ service: 'web', events: ['deploy-failed'] })).map((e) => e.version), [2]);
  });

  it('restart: the serving snapshot and digest again with the count of now, no pending change; refused when nothing serves, while deploying, at 0', async () => {
    const svc = 'again';
    const dir = new Directory(store);
    await dir.create({ name: svc, dockerRepository: '127.0.0.1:5000/paz/hello:9', ports: [{ container: 9000 }], numInstances: 2, rollout: { minHealthySeconds: 0, drainSeconds: 0 } });
    const refusal = (code: string, message: RegExp, details: Record<string, unknown>) => (err: Error & { code?: string; details?: unknown }) => {
      assert.equal(err.code, code);
      assert.match(err.message, message);
      assert.deepEqual(err.details, details);
      return true;
    };
    await assert.rejects(deploys.restart(svc), refusal('NOT_DEPLOYED', /^service "again" has not been deployed yet: there is nothing to restart$/, { name: svc }));
    await deploys.deploy(svc, { trigger: { source: 'api' } });
    await runOnH1(1, { state: 'failed', healthy: false, reason: 'IMAGE_NOT_FOUND: image 127.0.0.1:5000/paz/hello:9 not found' }, svc);
    await waitFor('version 1 to fail', async () => (await stateOf(1, svc)) === 'failed' || undefined, 5000, 20);
    await assert.rejects(deploys.restart(svc), refusal('NOT_DEPLOYED', /^no version of service "again" serves \(version 1 failed\)/, { name: svc, latest: 1 }));

    await store.put(keys.service(svc), JSON.stringify({ ...(await dir.get(svc)), dockerRepository: '127.0.0.1:5000/paz/hello:1' }));
    await deploys.deploy(svc, { trigger: { source: 'api' } });
    await assert.rejects(deploys.restart(svc), refusal('CONFLICT', /^service "again" is deploying version 2 right now: restart it once that rollout ends/, { name: svc, deploying: 2 }));
    assert.equal(await deploys.latestVersion(svc), 2, 'the refusals deployed nothing');
    await waitFor('version 2 released', async () => (await units(svc)).every((u) => !u.hold) || undefined, 5000, 20);
    await runOnH1(2, { healthySince: Date.now() - 1000 }, svc);
    await waitFor('version 2 to succeed', async () => (await stateOf(2, svc)) === 'succeeded' || undefined, 5000, 20);
    // the first pull recorded version 2's digest (VersionDigests); the tag moves, and next gets a change not deployed
    const v2 = await deploys.version(svc, 2);
    await store.put(keys.deploy(svc, 2), JSON.stringify({ ...v2, digest: 'sha256:' + 'a'.repeat(64) }));
    await store.put(keys.service(svc), JSON.stringify({ ...(await dir.get(svc)), dockerRepository: '127.0.0.1:5000/paz/hello:2' }));
    await dir.patchConfig(svc, { env: { PENDING: 'yes' } });
    await deploys.scale(svc, 3);

    const rec = await deploys.restart(svc, 'admin');
    assert.equal(rec.version, 3);
    assert.deepEqual(rec.trigger, { source: 'restart', restartOf: 2, actor: 'admin' });
    assert.equal(rec.image, '127.0.0.1:5000/paz/hello:1', "the serving version's image, not the moved repository");
    assert.equal(rec.digest, 'sha256:' + 'a'.repeat(64), 'pinned to the bytes that served');
    assert.equal(rec.config.numInstances, 3, 'the count of now (scaled after version 2 was deployed)');
    assert.equal(rec.config.env?.PENDING, undefined, 'nothing pending in next goes with a restart');
    assert.deepEqual((await units(svc)).filter((u) => u.version === 3).map((u) => u.unit), ['again-3-1', 'again-3-2', 'again-3-3']);
    const entry = (await deploys.journal({ service: svc })).find((e) => e.version === 3);
    assert.equal(entry?.event, 'deploy');
    assert.match(entry?.message ?? '', /^restart: version 2 started afresh as version 3 \(127\.0\.0\.1:5000\/paz\/hello:1\)$/);
    assert.equal(entry?.actor, 'admin');

    await waitFor('version 3 released', async () => (await units(svc)).every((u) => !u.hold) || undefined, 5000, 20);
    await runOnH1(3, { healthySince: Date.now() - 1000 }, svc);
    await waitFor('version 3 to succeed', async () => (await stateOf(3, svc)) === 'succeeded' || undefined, 5000, 20);
    // a rollback now passes over version 2, which runs what version 3 (its restart) runs, to version 1... which
    // failed: there is none, and the message says why each is passed over
    await assert.rejects(deploys.rollback(svc), (err: Error) => {
      assert.match(err.message, /^service "again" has no version before version 3 \(which serves\) whose deploy succeeded and that runs something else \(2 runs what 3 runs, 1 failed\): to deploy one of them again, name it \(\{"version": 2\}\)$/);
      return true;
    });
    await deploys.scale(svc, 0);
    await assert.rejects(deploys.restart(svc), refusal('CONFLICT', /runs no instances \(scaled to 0\): there is nothing to restart$/, { name: svc, numInstances: 0 }));
  });

  it('recreate: old first, new once the old are gone; a failed recreate starts the serving version again', async () => {
    const svc = 'fixed';
    const dir = new Directory(store);
    await dir.create({ name: svc, dockerRepository: '127.0.0.1:5000/paz/hello:1', ports: [{ container: 9000, host: 18080 }], numInstances: 1, rollout: { strategy: 'recreate', minHealthySeconds: 0, drainSeconds: 0 } });
    await deploys.deploy(svc, { trigger: { source: 'api' } });
    await waitFor('the first version released at once (nothing to stop)', async () => (await units(svc)).every((u) => !u.hold) || undefined, 5000, 20);
    await runOnH1(1, { healthySince: Date.now() - 1000 }, svc);
    await waitFor('version 1 to succeed', async () => (await stateOf(1, svc)) === 'succeeded' || undefined, 5000, 20);

    await dir.patchConfig(svc, { command: ['sh', '-c', 'exit 3'] });
    await deploys.deploy(svc, { trigger: { source: 'api' } });
    assert.equal((await deploys.rolloutStatus(svc, 2))?.strategy, 'recreate');
    await waitFor('the old instance drained and deleted', async () => (await units(svc)).every((u) => u.version === 2) || undefined, 5000, 20);
    assert.ok((await units(svc)).every((u) => u.hold), 'held while the old container still stops (its status is there)');
    await store.delete(keys.unitStatus('fixed-1-1')); // the agent stopped and removed it
    await waitFor('the new instance released', async () => (await units(svc)).every((u) => !u.hold) || undefined, 5000, 20);
    await runOnH1(2, { state: 'exited', healthy: false, restarts: 3, exitCode: 3, reason: 'exited with code 3' }, svc);
    await waitFor('version 2 to fail', async () => (await stateOf(2, svc)) === 'failed' || undefined, 5000, 20);
    assert.match((await deploys.rolloutStatus(svc, 2))!.reason!, /fixed-2-1 crash-looping: exited: exited with code 3, 3 restarts; version 1 is started again \(1 instance\)/);
    const restored = await waitFor('version 1 back, held', async () => {
      const us = await units(svc);
      return us.length === 1 && us[0].version === 1 ? us[0] : undefined;
    }, 5000, 20);
    assert.equal(restored.hold, true, 'held: the failed instance still holds the port');
    await store.delete(keys.unitStatus('fixed-2-1'));
    await waitFor('version 1 released', async () => (await units(svc)).every((u) => u.version === 1 && !u.hold) || undefined, 5000, 20);
    assert.equal(await deploys.servingVersion(svc), 1);
  });
});
