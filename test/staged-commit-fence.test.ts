// test-lane: light
/**
 * A stager that stalls between its staged chunks and its commit, and loses its write lock meanwhile (its
 * lease ran out: a GC pause, a frozen VM), must not commit: the commit carries the lock's fence
 * (state/chunked-writes.ts, state/service-lock.ts). Real etcd, the real Deploys and ChunkedWrites; the stall
 * is made by holding the commit txn (the one that moves the service's latest version) until the test has
 * taken the lock away, as its lease running out would. The deploy fails with CONFLICT, nothing is committed,
 * and the next writer removes the staged units.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../src/store/index.js';
import type { TxnRequest } from '../src/store/store.js';
import { storeWith } from '../src/store/store-with.js';
import { keys } from '../src/core/keys.js';
import { Directory } from '../src/state/directory.js';
import { Deploys } from '../src/state/deploys.js';
import { EtcdMember } from '../src/store/etcd/local-etcd.js';
import { freePort } from './helpers/paz-server.js';
import { skipUnlessEtcd } from './helpers/local-agents.js';

describe('a stager that lost its lock between its chunks and its commit', { skip: skipUnlessEtcd }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'paz-commit-fence-'));
  let etcd: EtcdMember;
  let store: Store;

  before(async () => {
    etcd = EtcdMember.start({ name: 'm0', dataDir: join(dir, 'etcd'), logFile: join(dir, 'etcd.log'), clientPort: await freePort(), peerPort: await freePort() });
    await etcd.waitUntilHealthy(60_000);
    store = await openStore(`etcd://${etcd.endpoint}`);
  });
  after(async () => {
    await store?.close();
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits nothing, answers CONFLICT, and its staged units are removed by the next writer', async () => {
    // over etcd's 128 ops per txn: staged in chunks, then committed
    await new Directory(store).create({ name: 'big', dockerRepository: 'team/big', numInstances: 150 });
    let stalled: (() => void) | undefined;
    const stall = new Promise<void>((resolve) => (stalled = resolve));
    let resume: (() => void) | undefined;
    const resumed = new Promise<void>((resolve) => (resume = resolve));
    // the stager's store: the same etcd, but its commit waits until the test lets it go
    const stager = storeWith(store, {
      txn: async (req: TxnRequest) => {
        if (req.success.some((op) => op.type === 'put' && op.key === keys.latest('big'))) {
          stalled!();
          await resumed;
        }
        return store.txn(req);
      },
    });
    const deploy = new Deploys(stager).deploy('big', { trigger: { source: 'api' } }).then(
      () => 'committed',
      (err: Error & { code?: string }) => err.code ?? err.message,
    );
    await stall;
    const staged = (await store.range(keys.desiredUnitsOf('big'))).kvs.length;
    assert.equal(staged, 150, 'every chunk landed before the commit');
    // its lease runs out: the lock goes (as etcd deletes a key whose lease expired)
    const lock = await store.get(keys.writeLock('big'));
    assert.ok(lock, 'the stager holds the lock');
    await store.delete(keys.writeLock('big'));
    resume!();
    assert.equal(await deploy, 'CONFLICT');
    assert.equal((await store.get(keys.latest('big')))?.value, undefined, 'nothing committed');
    assert.ok(await store.get(keys.pendingWrite('big')), 'the pending record stays for the next writer');

    // the next writer of the service, or the leader's PendingWritesLoop, removes them
    assert.equal(await new Deploys(store).writes.recover('big'), true);
    assert.equal((await store.range(keys.desiredUnitsOf('big'))).kvs.length, 0, 'the staged units are gone');
    assert.equal(await store.get(keys.pendingWrite('big')), undefined);
  });
});
