import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { StoreWriteOutcomeUnknownError, type Store, type TxnRequest } from '../store/store.js';
import { storeWith } from '../store/store-with.js';
import { keys } from '../core/keys.js';
import { ChunkedWrites, type DeployWrite } from './chunked-writes.js';

/**
 * A real store whose answer to the commit of a deploy (the txn that puts the latest version) is lost, as a
 * stalled or cut-off server loses it: `made` says whether the write was made before the answer was lost.
 * `maxTxnOps` small enough makes a deploy of a few units a staged one (chunks, then a commit, under a lock).
 */
function losingCommitAnswers(raw: SqliteStore, made: boolean, maxTxnOps = raw.limits.maxTxnOps): Store {
  return storeWith(raw, {
    limits: { ...raw.limits, maxTxnOps },
    txn: async (req: TxnRequest) => {
      const commits = req.success.some((op) => op.type === 'put' && op.key.startsWith(keys.latest('')));
      if (!commits) return raw.txn(req);
      if (made) await raw.txn(req);
      throw new StoreWriteOutcomeUnknownError(raw.name, '10.0.0.1:2379: 4 DEADLINE_EXCEEDED: Deadline exceeded');
    },
  });
}

function deployOf(service: string, version: number, units: number, record = `{"service":"${service}","version":${version},"timestamp":1}`): DeployWrite {
  return {
    service,
    version,
    compare: [{ key: keys.latest(service), target: 'modRevision', op: '=', value: 0 }],
    commitOps: [
      { type: 'put', key: keys.latest(service), value: String(version) },
      { type: 'put', key: keys.deploy(service, version), value: record },
    ],
    unitOps: Array.from({ length: units }, (_, i) => ({ type: 'put' as const, key: keys.desiredUnit(service, `${service}-${version}-${i + 1}`), value: '{}' })),
  };
}

const noScale = async () => {
  throw new Error('no scale here');
};

describe('ChunkedWrites.deploy when the answer to its commit is lost', () => {
  for (const [kind, maxTxnOps] of [['one txn', undefined], ['staged in chunks, under the lock', 16]] as const) {
    it(`${kind}: a commit that was made is a deploy made; one that was not stays an unknown outcome`, async () => {
      const raw = new SqliteStore(':memory:');
      try {
        const made = new ChunkedWrites(losingCommitAnswers(raw, true, maxTxnOps), noScale);
        assert.equal(await made.deploy(deployOf('web', 1, 40)), true, 'the commit is in the store: the deploy was made');
        assert.equal((await raw.get(keys.latest('web')))?.value, '1');
        assert.equal((await raw.range(keys.desiredUnitsOf('web'))).kvs.length, 40);

        const lost = new ChunkedWrites(losingCommitAnswers(raw, false, maxTxnOps), noScale);
        await assert.rejects(lost.deploy(deployOf('api', 1, 40)), StoreWriteOutcomeUnknownError);
        assert.equal(await raw.get(keys.latest('api')), undefined);
        // the lock is let go either way
        assert.equal(await raw.get(keys.writeLock('web')), undefined);
        assert.equal(await raw.get(keys.writeLock('api')), undefined);
      } finally {
        await raw.close();
      }
    });
  }

  it("another writer's commit of the same version is not taken for this one", async () => {
    const raw = new SqliteStore(':memory:');
    try {
      // the other writer's commit is in the store; this one's answer is lost and it was not made
      await raw.txn({ compare: [], success: deployOf('web', 1, 0, '{"service":"web","version":1,"timestamp":2}').commitOps });
      const writes = new ChunkedWrites(losingCommitAnswers(raw, false), noScale);
      await assert.rejects(writes.deploy({ ...deployOf('web', 1, 3), compare: [] }), StoreWriteOutcomeUnknownError);
    } finally {
      await raw.close();
    }
  });
});
