// test-lane: normal
/**
 * A failed recreate of more instances than one etcd txn carries (128 ops): the rollout controller starts
 * the serving version again with as many units as the deploy asked for, and the deploy is marked failed.
 * In one txn (status, journal and 140 restore units) etcd refused it, and the service stayed "deploying"
 * with nothing running. The store state is what a recreate leaves when its new version fails at once: the
 * old version's units gone, the new ones released and past their deadline (no agent runs them).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import type { Store } from '../src/store/store.js';
import { EtcdStore } from '../src/store/etcd/etcd-store.js';
import { EtcdMember, findEtcdBinary } from '../src/store/etcd/local-etcd.js';
import { Directory } from '../src/state/directory.js';
import { Deploys } from '../src/state/deploys.js';
import { committedDesiredUnits } from '../src/state/desired-units.js';
import { RolloutController } from '../src/control/rollout-controller.js';
import { keys } from '../src/core/keys.js';
import type { RolloutStatus } from '../src/core/rollout-policy.js';
import { getJson } from '../src/store/json.js';
import { freePort, tmpDir } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';

const N = 140;
const etcdMissing = findEtcdBinary() === undefined && process.env.CI !== 'true';

describe(`a failed recreate of ${N} instances on etcd`, { skip: etcdMissing ? 'etcd is not installed' : false }, () => {
  const dir = tmpDir('paz-recreate-restore-');
  let member: EtcdMember;
  let store: Store;
  before(async () => {
    member = EtcdMember.start({ name: 'm0', dataDir: join(dir, 'etcd'), logFile: join(dir, 'etcd.log'), clientPort: await freePort(), peerPort: await freePort() });
    await member.waitUntilHealthy(60_000);
    store = new EtcdStore([member.endpoint]);
  });
  after(async () => {
    await store?.close();
    await member?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`starts the serving version again with all ${N} instances and marks the deploy failed`, async () => {
    assert.ok(store.limits.maxTxnOps < N + 2, `etcd's limit (${store.limits.maxTxnOps} ops) is below one txn of the outcome and ${N} units`);
    const deploys = new Deploys(store);
    await new Directory(store).create({ name: 'big', dockerRepository: 'example/big', numInstances: N, rollout: { strategy: 'recreate' } });
    await deploys.deploy('big', { trigger: { source: 'api' } });
    // version 1 served
    await store.put(keys.rolloutStatus('big', 1), JSON.stringify({ service: 'big', version: 1, state: 'succeeded', strategy: 'recreate', startedAt: 1, finishedAt: 2 } satisfies RolloutStatus));
    await store.put(keys.serving('big'), '1');
    const v2 = await deploys.deploy('big', { trigger: { source: 'api' } });
    assert.equal(v2.version, 2);
    // the recreate stopped version 1 and released version 2, which never got healthy
    const units = (await committedDesiredUnits(store, 'big')).entries;
    assert.equal(units.length, 2 * N);
    for (const e of units) {
      if (e.value.version === 1) await store.delete(e.key);
      else {
        const { hold: _held, ...rest } = e.value;
        await store.put(e.key, JSON.stringify({ ...rest, releasedAt: 1 }));
      }
    }

    const controller = new RolloutController(store, pino({ level: process.env.PAZ_TEST_LOG ?? 'silent' }), Date.now, 200);
    await controller.start();
    try {
      await waitFor('version 2 marked failed', async () => (await getJson<RolloutStatus>(store, keys.rolloutStatus('big', 2)))?.state === 'failed', 60_000, 100);
      const status = (await getJson<RolloutStatus>(store, keys.rolloutStatus('big', 2)))!;
      assert.match(status.reason ?? '', new RegExp(`version 1 is started again \\(${N} instances\\)`));
      const restored = (await committedDesiredUnits(store, 'big')).entries.map((e) => e.value).filter((u) => u.version === 1);
      assert.equal(restored.length, N, `${N} units of version 1`);
      assert.equal(new Set(restored.map((u) => u.unit)).size, N, 'each once');
      // with no failed instance reporting, the restored ones are released and version 2's are gone
      await waitFor('version 1 released and version 2 deleted', async () => {
        const now = (await committedDesiredUnits(store, 'big')).entries.map((e) => e.value);
        return now.length === N && now.every((u) => u.version === 1 && !u.hold);
      }, 60_000, 100);
      const journal = (await store.range(keys.journalPrefix())).kvs.map((kv) => JSON.parse(kv.value) as { event: string; version: number });
      assert.equal(journal.filter((j) => j.event === 'deploy-failed' && j.version === 2).length, 1, 'one deploy-failed entry');
    } finally {
      await controller.stop();
    }
  });
});
