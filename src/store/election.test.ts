import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { campaign, currentLeader, electionKey, type Election } from './election.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { StoreWriteOutcomeUnknownError, type Store } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'paz-election-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function openStore(file: string): Store {
  const store = new SqliteStore(file);
  cleanups.push(() => store.close());
  return store;
}

async function join2(store: Store, name: string, id: string, ttl: number, opts = {}): Promise<Election & { changes: boolean[] }> {
  const election = await campaign(store, name, id, ttl, { onError: (err) => assert.fail(`${id}: ${err.message}`), ...opts });
  const changes: boolean[] = [];
  election.onChange((leader) => changes.push(leader));
  cleanups.push(() => election.resign());
  return Object.assign(election, { changes });
}

/**
 * Samples every candidate's isLeader() every few ms until stopped, recording the most leaders seen
 * at one instant. Bounded: it stops itself after maxMs.
 */
function watchForSplitBrain(candidates: Election[], maxMs = 30_000): { stop(): number } {
  let most = 0;
  const started = Date.now();
  const timer = setInterval(() => {
    most = Math.max(most, candidates.filter((c) => c.isLeader()).length);
    if (Date.now() - started > maxMs) clearInterval(timer);
  }, 2);
  return {
    stop() {
      clearInterval(timer);
      return most;
    },
  };
}

async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('leader election', () => {
  it('of two candidates on one store, exactly one leads and the key names it', async () => {
    const store = openStore(join(dir, `e${++counter}.db`));
    const a = await join2(store, 'control', 'a', 5);
    const b = await join2(store, 'control', 'b', 5);
    assert.equal(a.isLeader(), true);
    assert.equal(b.isLeader(), false);
    assert.deepEqual(a.changes, []); // won during campaign(), before onChange was registered
    assert.equal(await currentLeader(store, 'control'), 'a');
    const kv = await store.get(electionKey('control'));
    assert.notEqual(kv?.lease, 0);
  });

  it('a campaign whose write went through but whose answer was lost still leads (the key under its lease is its own)', async () => {
    const store = openStore(join(dir, `e${++counter}.db`));
    // the first campaign txn is applied, then its answer is lost, as when a member's reply does not come back
    let lost = 0;
    const lossy: Store = Object.create(store, {
      txn: {
        value: async (req: Parameters<Store['txn']>[0]) => {
          const result = await store.txn(req);
          if (lost++ === 0) throw new StoreWriteOutcomeUnknownError(store.name, 'no answer within the deadline');
          return result;
        },
      },
    });
    const errors: Error[] = [];
    const a = await campaign(lossy, 'control', 'a', 5, { onError: (err) => errors.push(err), recheckIntervalMs: 100 });
    cleanups.push(() => a.resign());
    await waitUntil(() => a.isLeader(), 'a to lead');
    assert.equal(await currentLeader(store, 'control'), 'a');
    assert.ok(errors.some((e) => e instanceof StoreWriteOutcomeUnknownError), 'the lost answer was reported');
    // and another candidate does not lead beside it
    const b = await join2(store, 'control', 'b', 5);
    assert.equal(b.isLeader(), false);
  });

  it('when the leader resigns, the other takes over at once (without waiting for the TTL)', async () => {
    const store = openStore(join(dir, `e${++counter}.db`));
    const a = await join2(store, 'control', 'a', 30);
    const b = await join2(store, 'control', 'b', 30);
    const sampler = watchForSplitBrain([a, b]);
    const resignedAt = Date.now();
    await a.resign();
    assert.equal(a.isLeader(), false);
    await waitUntil(() => b.isLeader(), 'b to lead');
    assert.ok(Date.now() - resignedAt < 30_000);
    assert.equal(sampler.stop(), 1);
    assert.deepEqual(b.changes, [true]);
    assert.equal(await currentLeader(store, 'control'), 'b');
  });

  it('reports changes to onChange, and a resigned leader hears false', async () => {
    const store = openStore(join(dir, `e${++counter}.db`));
    const b = await join2(store, 'control', 'b', 30);
    const seen: boolean[] = [];
    b.onChange((leader) => seen.push(leader));
    await b.resign();
    assert.deepEqual(seen, [false]);
    await b.resign();
    assert.deepEqual(seen, [false]);
  });

  it('when the leader stops keeping its lease alive, it drops out before the other takes over', async () => {
    const file = join(dir, `e${++counter}.db`);
    // two clients of one file, as two processes would have; a never refreshes its 1 s lease
    const a = await join2(openStore(file), 'control', 'a', 1, { keepAliveIntervalMs: 600_000 });
    const b = await join2(openStore(file), 'control', 'b', 1);
    assert.equal(a.isLeader(), true);
    const sampler = watchForSplitBrain([a, b]);
    await waitUntil(() => b.isLeader(), 'b to lead after a\'s lease expired');
    assert.equal(sampler.stop(), 1);
    assert.deepEqual(a.changes, [false]);
    assert.equal(a.isLeader(), false);
    // b keeps its lease alive, so it stays leader well past its TTL, and a stays out
    await new Promise((r) => setTimeout(r, 2_500));
    assert.equal(b.isLeader(), true);
    assert.equal(a.isLeader(), false);
    assert.deepEqual(b.changes, [true]);
  });

  it('a leader stalled past its TTL knows it is no longer leader the moment it wakes, before any timer runs', async () => {
    const store = openStore(join(dir, `e${++counter}.db`));
    const a = await join2(store, 'control', 'a', 1);
    assert.equal(a.isLeader(), true);
    // a real stall (like a long GC pause or a stopped process): the event loop does not turn for 1.5 s
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1_500);
    assert.equal(a.isLeader(), false);
    await waitUntil(() => a.changes.includes(false), 'onChange(false)');
  });

  it('a leader whose lease is revoked drops out at once and the other takes over', async () => {
    const store = openStore(join(dir, `e${++counter}.db`));
    const a = await join2(store, 'control', 'a', 30);
    const b = await join2(store, 'control', 'b', 30);
    const sampler = watchForSplitBrain([a, b]);
    const lease = (await store.get(electionKey('control')))!.lease;
    await store.revoke(lease);
    await waitUntil(() => b.isLeader(), 'b to lead');
    assert.equal(sampler.stop(), 1);
    assert.deepEqual(a.changes, [false]);
    assert.equal(a.isLeader(), false);
  });

  it('never has two leaders through many hand-overs among three candidates', async () => {
    const file = join(dir, `e${++counter}.db`);
    const stores = [openStore(file), openStore(file), openStore(file)];
    const candidates: Election[] = [];
    for (const [i, store] of stores.entries()) candidates.push(await join2(store, 'control', `c${i}`, 30));
    const sampler = watchForSplitBrain(candidates, 60_000);
    const leaders: string[] = [];
    for (let round = 0; round < 12; round++) {
      await waitUntil(() => candidates.filter((c) => c.isLeader()).length === 1, `a leader in round ${round}`);
      const index = candidates.findIndex((c) => c.isLeader());
      const leader = candidates[index];
      leaders.push(leader.candidateId);
      assert.equal(await currentLeader(stores[index], 'control'), leader.candidateId);
      await leader.resign();
      await waitUntil(() => candidates.some((c, i) => i !== index && c.isLeader()), `a hand-over in round ${round}`);
      // the resigned candidate comes back as a new follower, like a restarted replica
      candidates[index] = await join2(stores[index], 'control', leader.candidateId, 30);
    }
    assert.equal(sampler.stop(), 1);
    for (let i = 1; i < leaders.length; i++) assert.notEqual(leaders[i], leaders[i - 1]);
  });

  it('elections of different names are independent', async () => {
    const store = openStore(join(dir, `e${++counter}.db`));
    const a = await join2(store, 'one', 'a', 30);
    const b = await join2(store, 'two', 'b', 30);
    assert.equal(a.isLeader(), true);
    assert.equal(b.isLeader(), true);
    assert.throws(() => electionKey('a/b'), /no "\/"/);
  });
});
