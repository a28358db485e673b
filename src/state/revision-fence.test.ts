import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { RevisionFence } from './revision-fence.js';

/**
 * A real store whose revision calls are counted; with `hold` set, a call reads the revision when it begins
 * and answers only when released, as a store's answer in flight does.
 */
function countedStore(raw: SqliteStore) {
  const counted = {
    calls: 0,
    hold: false,
    held: [] as Array<() => void>,
    async revision(): Promise<number> {
      counted.calls++;
      const revision = await raw.revision();
      if (counted.hold) await new Promise<void>((resolve) => counted.held.push(resolve));
      return revision;
    },
  };
  return counted;
}

describe('RevisionFence', () => {
  it('readers who ask in the same event-loop turn share one call', async () => {
    const raw = new SqliteStore(':memory:');
    try {
      await raw.put('/paz/a', '1');
      const store = countedStore(raw);
      const fence = new RevisionFence(store);
      // each asks from a callback of its own in one turn, with microtasks run between them, as the requests
      // one poll of the sockets parses
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => new Promise<number>((resolve, reject) => setImmediate(() => fence.latest().then(resolve, reject)))),
      );
      assert.equal(store.calls, 1);
      assert.deepEqual(new Set(answers), new Set([await raw.revision()]));
    } finally {
      await raw.close();
    }
  });

  it('a reader who asks after a write finished gets a revision that includes it, even with a call already out', async () => {
    const raw = new SqliteStore(':memory:');
    try {
      const store = countedStore(raw);
      const fence = new RevisionFence(store);
      store.hold = true;
      const early = fence.latest();
      // the early call is out (begun, not answered) when the write finishes
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(store.calls, 1);
      const written = await raw.put('/paz/b', '1');
      const late = fence.latest();
      const alsoLate = fence.latest();
      store.hold = false;
      store.held.splice(0).forEach((release) => release());
      assert.ok((await early) < written, 'the early call read the store before the write');
      assert.ok((await late) >= written, `asked after revision ${written} was written, got ${await late}`);
      assert.equal(await alsoLate, await late);
      assert.equal(store.calls, 2, 'the late readers share the call after the one that was out');
    } finally {
      await raw.close();
    }
  });

  it('a failed call fails its readers only: the next ones get a call of their own', async () => {
    const raw = new SqliteStore(':memory:');
    try {
      let fail = true;
      const fence = new RevisionFence({
        revision: async () => {
          if (fail) throw new Error('store unreachable');
          return raw.revision();
        },
      });
      await assert.rejects(fence.latest(), /store unreachable/);
      fail = false;
      assert.equal(await fence.latest(), await raw.revision());
    } finally {
      await raw.close();
    }
  });
});
