// test-lane: light
/**
 * A StoreLoop (state/store-loop.ts) over a real store that goes away: a one-member etcd is stopped while
 * the loop is asked for passes all the time (a kick every few ms, as a busy watch would), then started
 * again on the same data dir. Passes that fail because the store is gone must not be retried in a tight
 * loop: each pass after a failed one starts the loop's full settle pause (250 ms) later. When etcd is back,
 * a pass goes through again, with no help.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { EtcdMember, type EtcdMemberOptions } from '../src/store/etcd/local-etcd.js';
import { EtcdStore } from '../src/store/etcd/etcd-store.js';
import { StoreLoop } from '../src/state/store-loop.js';
import { freePort, tmpDir } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';
import { skipUnlessEtcd } from './helpers/local-agents.js';

/** the loop's pause after a pass that failed (store-loop.ts: a failed pass counts as an endless one) */
const SETTLE_MS = 250;
/** how long the store stays away */
const OUTAGE_MS = 4000;
/** how often something asks for a pass */
const KICK_EVERY_MS = 5;
const PREFIX = '/paz-loop-outage/';

interface Pass {
  began: number;
  ended: number;
  ok: boolean;
  error?: string;
}

describe('a store loop whose store goes away and comes back', { skip: skipUnlessEtcd }, () => {
  const dir = tmpDir('paz-loop-outage-');
  let member: EtcdMember | undefined;
  let memberOptions: EtcdMemberOptions;
  let store: EtcdStore | undefined;
  let loop: StoreLoop | undefined;
  let kicker: NodeJS.Timeout | undefined;
  const passes: Pass[] = [];

  before(async () => {
    memberOptions = { name: 'outage', dataDir: join(dir, 'etcd'), logFile: join(dir, 'etcd.log'), clientPort: await freePort(), peerPort: await freePort() };
    member = EtcdMember.start(memberOptions);
    await member.waitUntilHealthy();
    // a short call deadline: what a pass waits for when the member is gone is not what this test is about
    store = new EtcdStore([member.endpoint], { callTimeoutMs: 1000, onBackgroundError: () => undefined });
    await store.put(`${PREFIX}a`, '1');
    loop = new StoreLoop({
      store,
      name: 'outage-test',
      logger: pino({ level: 'silent' }),
      prefixes: [PREFIX],
      intervalMs: 1000,
      pass: async () => {
        const began = performance.now();
        try {
          await store!.range(PREFIX);
          passes.push({ began, ended: performance.now(), ok: true });
        } catch (err) {
          passes.push({ began, ended: performance.now(), ok: false, error: (err as Error).message });
          throw err;
        }
      },
    });
    await loop.start();
  });

  after(async () => {
    if (kicker) clearInterval(kicker);
    await loop?.stop();
    await store?.close();
    await member?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits the full pause after each failed pass, and goes through again once the store is back', async () => {
    kicker = setInterval(() => void loop!.kick(), KICK_EVERY_MS);
    await waitFor('passes going through', async () => passes.filter((p) => p.ok).length >= 5, 10_000, 20);
    const stoppedAt = performance.now();
    await member!.stop();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    member = EtcdMember.start(memberOptions);
    await member.waitUntilHealthy();
    const backAt = performance.now();
    await waitFor('a pass going through after the store came back', async () => passes.some((p) => p.ok && p.began > backAt), 30_000, 20);
    clearInterval(kicker);
    kicker = undefined;

    const failed = passes.filter((p) => !p.ok);
    assert.ok(failed.length > 0, 'passes failed while the store was away');
    // every pass after a failed one began the full pause after that one ended
    const gaps: number[] = [];
    for (let i = 1; i < passes.length; i++) {
      if (passes[i - 1]!.ok) continue;
      const gap = passes[i]!.began - passes[i - 1]!.ended;
      gaps.push(gap);
      assert.ok(gap >= SETTLE_MS - 2, `pass ${i} began ${Math.round(gap)} ms after the failed pass before it (the pause is ${SETTLE_MS} ms): ${passes[i - 1]!.error}`);
    }
    const during = passes.filter((p) => p.began >= stoppedAt && p.began <= backAt);
    const awayMs = backAt - stoppedAt;
    console.log(`# store away ${Math.round(awayMs)} ms: ${during.length} passes (${failed.length} failed, each ${Math.round(Math.min(...failed.map((p) => p.ended - p.began)))}-${Math.round(Math.max(...failed.map((p) => p.ended - p.began)))} ms); pauses after them ${Math.round(Math.min(...gaps))}-${Math.round(Math.max(...gaps))} ms; the first error: ${failed[0]!.error}`);
    // the pause bounds the count: one pass per pause at most, however often it is asked for
    assert.ok(during.length <= Math.ceil(awayMs / SETTLE_MS) + 1, `${during.length} passes in ${Math.round(awayMs)} ms away`);
  });
});
