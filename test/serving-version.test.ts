// "A failed version stays failed", on a real SQLite store with the real rollout controller: the serving
// version is recorded when a deploy succeeds and kept when one fails; config/last, scale and rollback follow
// it; a failed version's units are removed and scaling never brings them back. The agent's part (placing
// a unit and reporting its status) is written here as an agent would write it.
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
  const units = async () => (await rangeJson<DesiredUnit>(store, keys.desiredUnitsOf('web'))).entries.map((e) => e.value).sort((a, b) => a.unit.localeCompare(b.unit));
  const stateOf = async (v: number) => (await deploys.rolloutStatus('web', v))?.state;

  /** What the placement loop and an agent on host h1 would write for every unit of `version`. */
  async function runOnH1(version: number, status: Partial<UnitStatus>): Promise<void> {
    for (const u of await units()) {
      if (u.version !== version || u.hold) continue;
      await store.put(keys.desiredUnit('web', u.unit), JSON.stringify({ ...u, host: 'h1' }));
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
    assert.match((await deploys.rolloutStatus('web', 2))!.reason!, /web-2-1 failed: IMAGE_NOT_FOUND.*; version 1 keeps serving/);
    await waitFor('version 2 units removed', async () => (await units()).every((u) => u.version === 1) || undefined, 5000, 20);
    assert.equal(await deploys.latestVersion('web'), 2);
    assert.equal(await deploys.servingVersion('web'), 1);
    assert.equal((await deploys.current('web')).version, 1, 'config/last shows what serves');

    const up = await deploys.scale('web', 4);
    assert.deepEqual(up, { version: 1, added: ['web-1-4'], draining: [] });
    assert.equal((await units()).find((u) => u.unit === 'web-1-4')?.hold, undefined, 'no deploy runs: it starts at once');
    const down = await deploys.scale('web', 1);
    assert.deepEqual(down, { version: 1, added: [], draining: ['web-1-2', 'web-1-3', 'web-1-4'] });
    await waitFor('drained instances removed', async () => (await units()).length === 1 || undefined, 5000, 20);
    assert.deepEqual((await units()).map((u) => u.unit), ['web-1-1']);
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
});
