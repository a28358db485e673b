// test-lane: normal
/**
 * A loop's watch that dies is opened again. A watch cannot be resumed once the store compacted the history it
 * had not yet received: a host cut off from etcd for longer than the cluster's compaction window comes back to
 * a watch that fails for good. Every loop of Paz (a host's router, the reconciler's and control plane's loops)
 * used to carry on with its periodic pass alone, for the rest of the process's life: a router updated every 5 s
 * instead of within milliseconds. Real etcd; the cut is a TCP proxy between the loop's store and etcd that drops
 * its connections and refuses new ones, while the test writes and compacts directly.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { EtcdMember } from '../src/store/etcd/local-etcd.js';
import { EtcdStore } from '../src/store/etcd/etcd-store.js';
import { StoreLoop } from '../src/state/store-loop.js';
import { freePort, tmpDir } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';
import { skipUnlessEtcd } from './helpers/local-agents.js';
import { cuttableProxy } from './helpers/tcp-proxy.js';

describe('a loop whose watch died', { skip: skipUnlessEtcd }, () => {
  const dir = tmpDir('paz-refollow-');
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

  it('opens it again after the store compacted past it, and a change wakes the loop again', async () => {
    const direct = new EtcdStore([etcd!.endpoint]);
    const proxy = await cuttableProxy(Number(etcd!.endpoint.split(':').pop()));
    const cutOff = new EtcdStore([`127.0.0.1:${proxy.where}`], { callTimeoutMs: 2_000 });
    closers.push(() => direct.close(), () => cutOff.close(), () => proxy.close());
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
    let passes = 0;
    // a periodic pass far off: every pass within the test comes from the watch
    const loop = new StoreLoop({ store: cutOff, name: 'test-loop', logger, prefixes: ['/t/'], intervalMs: 600_000, pass: async () => void passes++ });
    closers.push(() => loop.stop());
    await loop.start();
    assert.equal(passes, 1, 'the first pass');
    await direct.put('/t/a', '1');
    await waitFor('a pass woken by the watch', async () => passes >= 2, 10_000, 20);

    // cut off while the store moves on and compacts its history past what the watch has seen
    proxy.cut();
    for (let i = 0; i < 5; i++) await direct.put(`/t/while-away-${i}`, String(i));
    await direct.compact(await direct.revision());
    const before = passes;
    proxy.heal();
    await waitFor('the dead watch reported', async () => warnings.some((w) => w.includes('watch failed; opening it again')), 30_000, 50);
    // a pass for what changed meanwhile, then passes woken by changes as before
    await waitFor('a pass once the watch is open again', async () => passes > before, 15_000, 20);
    const reopened = passes;
    await direct.put('/t/after', '1');
    await waitFor('a change after it wakes the loop', async () => passes > reopened, 10_000, 20);
    console.log(`# passes: ${passes}; warnings: ${warnings.length}`);
  });
});
