import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { keys } from '../core/keys.js';
import { HostLossGrace, parseHostLossGrace } from './host-loss-grace.js';

describe('the host-loss grace as agents learn it', () => {
  it('reads positive seconds only', () => {
    assert.equal(parseHostLossGrace('30'), 30);
    assert.equal(parseHostLossGrace('2.5'), 2.5);
    for (const bad of [undefined, '', ' ', '0', '-5', 'abc', 'Infinity', 'NaN']) assert.equal(parseHostLossGrace(bad), undefined, String(bad));
  });

  it("the default before any server said it, then the servers' value, followed as it changes", async () => {
    const store = new SqliteStore(':memory:');
    const grace = new HostLossGrace(store, (err) => assert.fail(String(err)));
    try {
      await grace.load();
      assert.equal(grace.ms(), 30_000, 'the default');
      assert.ok(grace.following);
      await store.put(keys.hostLossGrace(), '5');
      const deadline = Date.now() + 5_000;
      while (grace.ms() !== 5_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(grace.ms(), 5_000, 'followed by its watch');
      await store.put(keys.hostLossGrace(), 'nonsense');
      while (grace.ms() !== 30_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(grace.ms(), 30_000, 'what cannot be read is the default');
      await grace.stop();
      await store.put(keys.hostLossGrace(), '7');
      const again = new HostLossGrace(store, () => undefined);
      await again.load();
      assert.equal(again.ms(), 7_000, 'read at start');
      await again.stop();
    } finally {
      await store.close();
    }
  });
});
