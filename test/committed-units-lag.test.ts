// test-lane: normal
/**
 * The control plane's and the routers' view of committed units (committed-units-view.ts) on a real etcd whose
 * watch of the units lags behind its watch of the commits, as happens when etcd delivers a big deploy's units
 * to a slow watcher while the commit, one small event on another watch, goes straight through. The lag is made
 * by a TCP proxy that hands on what etcd sends only after a fixed delay, for the units' watch alone (the reads
 * and the commits' watch go direct). Whatever the lag, a reader never sees part of a version: when the units
 * come within the view's wait it uses them (no read), when they come later it reads that service's units once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { EtcdMember } from '../src/store/etcd/local-etcd.js';
import { EtcdStore } from '../src/store/etcd/etcd-store.js';
import type { Store } from '../src/store/store.js';
import { storeWith } from '../src/store/store-with.js';
import { keys } from '../src/core/keys.js';
import { Directory } from '../src/state/directory.js';
import { Deploys } from '../src/state/deploys.js';
import { CommittedUnitsView } from '../src/state/committed-units-view.js';
import { freePort, tmpDir } from './helpers/env.js';
import { skipUnlessEtcd } from './helpers/local-agents.js';
import { tcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';

const N = 300;

/** A TCP proxy to 127.0.0.1:`port` that hands on what the server sends `lagMs` late (in order); the other way at once. */
function laggingProxy(port: number, lagMs: number): Promise<TcpProxy> {
  return tcpProxy({ host: '127.0.0.1', port }, {
    wire: (client, upstream) => {
      client.pipe(upstream);
      upstream.on('data', (chunk) => setTimeout(() => client.writable && client.write(chunk), lagMs));
    },
  });
}

describe('committed units on etcd, when the units arrive after their commit', { skip: skipUnlessEtcd }, () => {
  const dir = tmpDir('paz-units-lag-');
  let etcd: EtcdMember | undefined;
  const closers: Array<() => Promise<unknown>> = [];

  before(async () => {
    etcd = EtcdMember.start({ name: 'm0', dataDir: join(dir, 'etcd'), logFile: join(dir, 'etcd.log'), clientPort: await freePort(), peerPort: await freePort() });
    await etcd.waitUntilHealthy(60_000);
  });

  after(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** a store whose units' watch goes through a proxy `lagMs` late; its reads of units are counted */
  async function storeWithLaggingUnits(lagMs: number): Promise<{ store: Store; direct: EtcdStore; lagging: EtcdStore; unitReads: string[] }> {
    const direct = new EtcdStore([etcd!.endpoint]);
    const proxy = await laggingProxy(Number(etcd!.endpoint.split(':').pop()), lagMs);
    const lagging = new EtcdStore([`127.0.0.1:${proxy.where}`]);
    closers.push(() => direct.close(), () => lagging.close(), () => proxy.close());
    const unitReads: string[] = [];
    const store = storeWith(direct, {
      watch: (prefix, listener, opts) => (prefix.startsWith(keys.desiredUnitsPrefix()) ? lagging : direct).watch(prefix, listener, opts),
      range: (prefix) => (prefix.startsWith(keys.desiredUnitsPrefix()) && unitReads.push(prefix), direct.range(prefix)),
    });
    return { store, direct, lagging, unitReads };
  }

  /** deploys `service` (N units in staged chunks, then the commit) and checks every answer of the view meanwhile */
  async function deployWatching({ store, direct, lagging }: { store: Store; direct: EtcdStore; lagging: EtcdStore }, service: string): Promise<{ answers: number; overtakenByMs: number }> {
    const view = new CommittedUnitsView(store, (err) => assert.fail(err));
    closers.push(() => view.stop());
    await new Directory(direct).create({ name: service, dockerRepository: 'example/app', numInstances: N });
    await view.committed();
    // when the commit and the last unit arrive, each by its own watch: the case under test is the commit first
    let commitAt = 0;
    let lastUnitAt = 0;
    let units = 0;
    const commits = await direct.watch(keys.latest(service), () => (commitAt ||= performance.now()));
    const unitEvents = await lagging.watch(keys.desiredUnitsOf(service), (events) => {
      units += events.filter((e) => e.type === 'put').length;
      if (units >= N && lastUnitAt === 0) lastUnitAt = performance.now();
    });
    closers.push(() => commits.cancel(), () => unitEvents.cancel());
    const deploying = new Deploys(direct).deploy(service, { trigger: { source: 'api' } });
    let answers = 0;
    for (;;) {
      const { entries, latest } = await view.committed();
      answers++;
      const mine = entries.filter((e) => e.value.service === service);
      const version = latest.get(service);
      // the whole version or nothing of it, never part
      if (version === undefined) assert.equal(mine.length, 0, 'no unit before the commit');
      else {
        assert.equal(mine.length, N, `version ${version} whole (${mine.length} of ${N} units)`);
        break;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await deploying;
    assert.equal((await direct.get(keys.latest(service)))?.value, '1');
    for (let i = 0; i < 1500 && (commitAt === 0 || lastUnitAt === 0); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(commitAt > 0 && lastUnitAt > commitAt, `the commit arrived before the last of its units (commit ${commitAt.toFixed(0)}, last unit ${lastUnitAt.toFixed(0)})`);
    return { answers, overtakenByMs: lastUnitAt - commitAt };
  }

  // (the lag is per round trip: HTTP/2's flow control lets etcd send only a window's worth ahead of what the
  // client took, so 300 units, ~150 KB, take a few lags to arrive)
  it('units a little late (within the wait): whole versions, heard without a read', async () => {
    const stores = await storeWithLaggingUnits(15);
    const { answers, overtakenByMs } = await deployWatching(stores, 'lag-short');
    console.log(`# 15 ms link: the last unit ${overtakenByMs.toFixed(0)} ms after the commit; ${answers} answers, reads ${JSON.stringify(stores.unitReads)}`);
    assert.deepEqual(stores.unitReads.filter((p) => p !== keys.desiredUnitsPrefix()), [], `no read of the service: the watch brought them in time (${JSON.stringify(stores.unitReads)})`);
  });

  it('units long after their commit (past the wait): whole versions, by one read of that service', async () => {
    const stores = await storeWithLaggingUnits(400);
    const { answers, overtakenByMs } = await deployWatching(stores, 'lag-long');
    console.log(`# 400 ms link: the last unit ${overtakenByMs.toFixed(0)} ms after the commit; ${answers} answers, reads ${JSON.stringify(stores.unitReads)}`);
    assert.deepEqual(stores.unitReads.filter((p) => p !== keys.desiredUnitsPrefix()), [keys.desiredUnitsOf('lag-long')], 'one read of the late version\'s service');
  });
});
