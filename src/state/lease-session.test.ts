import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { TxnRequest } from '../store/store.js';
import { LeaseSession } from './lease-session.js';

describe('LeaseSession', () => {
  it('writes a burst of puts in few txns, each key with its last value, all under the lease', async () => {
    const store = new SqliteStore(':memory:');
    const session = new LeaseSession(store, { ttlSeconds: 30 });
    await session.start();
    const before = await store.revision();
    const writes: Promise<void>[] = [];
    for (let round = 0; round < 3; round++) for (let i = 0; i < 500; i++) writes.push(session.put(`/s/${i}`, `v${round}`));
    await Promise.all(writes);
    const { kvs } = await store.range('/s/');
    assert.equal(kvs.length, 500);
    assert.ok(kvs.every((kv) => kv.value === 'v2' && kv.lease !== 0));
    assert.ok((await store.revision()) - before < 10, 'a burst takes a few txns, not one per write');
    await session.delete('/s/0');
    assert.equal(await store.get('/s/0'), undefined);
    await session.stop();
    assert.equal((await store.range('/s/')).kvs.length, 0, 'stop revokes the lease with its keys');
    await store.close();
  });

  it('a key put withoutLease goes out in the same txn as the leased ones, keeps no lease, and outlives the session', async () => {
    const store = new SqliteStore(':memory:');
    const txns: TxnRequest[] = [];
    const txn = store.txn.bind(store);
    store.txn = (req) => (txns.push(req), txn(req));
    const session = new LeaseSession(store, { ttlSeconds: 30 });
    await session.start();
    await Promise.all([session.put('/hosts/h', 'up'), session.put('/known/h', 'seen', { withoutLease: true })]);
    assert.equal(txns.length, 1, 'one txn for both');
    assert.notEqual((await store.get('/hosts/h'))!.lease, 0);
    assert.equal((await store.get('/known/h'))!.lease, 0);
    // a new lease rewrites both, the unleased one still without
    await store.revoke((await store.get('/hosts/h'))!.lease);
    await session.put('/hosts/h', 'up again');
    assert.equal((await store.get('/known/h'))!.lease, 0);
    assert.equal((await store.get('/known/h'))!.value, 'seen');
    await session.stop();
    assert.equal(await store.get('/hosts/h'), undefined, 'the leased key goes with the lease');
    assert.equal((await store.get('/known/h'))?.value, 'seen', 'the unleased one stays');
    await store.close();
  });

  it('rewrites every key under a new lease when the old one is gone', async () => {
    const store = new SqliteStore(':memory:');
    const session = new LeaseSession(store, { ttlSeconds: 30 });
    await session.start();
    await session.put('/k/a', '1');
    const lease = (await store.get('/k/a'))!.lease;
    await store.revoke(lease);
    await session.put('/k/b', '2');
    assert.deepEqual((await store.range('/k/')).kvs.map((kv) => [kv.key, kv.value]), [['/k/a', '1'], ['/k/b', '2']]);
    assert.notEqual((await store.get('/k/b'))!.lease, lease);
    await session.stop();
    await store.close();
  });

  it('writes a key again after a failed write, without waiting for its next change', async () => {
    const store = new SqliteStore(':memory:');
    // the store refuses the next txn once, as an etcd member that just went away does
    let failNext = false;
    const txn = store.txn.bind(store);
    store.txn = async (req) => {
      if (failNext) {
        failNext = false;
        throw new Error('14 UNAVAILABLE: Connection dropped');
      }
      return txn(req);
    };
    const errors: unknown[] = [];
    const session = new LeaseSession(store, { ttlSeconds: 30, onError: (err) => errors.push(err) });
    await session.start();
    await session.put('/u/web-1-1', 'starting');
    failNext = true;
    await assert.rejects(session.put('/u/web-1-1', 'running'), /UNAVAILABLE/, 'the caller hears of the failure');
    assert.equal((await store.get('/u/web-1-1'))!.value, 'starting');
    const deadline = Date.now() + 5_000;
    while ((await store.get('/u/web-1-1'))!.value !== 'running' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await store.get('/u/web-1-1'))!.value, 'running', 'the failed write is made again by itself');
    assert.equal(errors.length, 1);
    await session.stop();
    await store.close();
  });

  it("a late 'starting' never overwrites a newer 'running': a key's writes reach the store in call order, whatever the store's delays and failures", async () => {
    // A store that answers late (a remote etcd) and now and then fails a write or loses the lease: each txn is
    // applied after a random delay, and what every key held after each one is recorded, in the order applied.
    const store = new SqliteStore(':memory:');
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const applied = new Map<string, number[]>();
    let inFlight = 0;
    let maxInFlight = 0;
    const txn = store.txn.bind(store);
    store.txn = async (req: TxnRequest) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await new Promise((r) => setTimeout(r, Math.floor(random() * 15)));
        if (random() < 0.05) throw new Error('14 UNAVAILABLE: Connection dropped');
        // the lease lost meanwhile (expired during a long pause): this write fails, the session renews
        if (random() < 0.03) {
          for (const op of req.success) if (op.type === 'put' && op.lease) await store.revoke(op.lease);
        }
        const res = await txn(req);
        for (const op of req.success) if (op.type === 'put') applied.set(op.key, [...(applied.get(op.key) ?? []), Number(op.value)]);
        return res;
      } finally {
        inFlight--;
      }
    };
    const session = new LeaseSession(store, { ttlSeconds: 30, onError: () => undefined });
    await session.start();
    // 20 units, each reporting 1 (pulling), 2 (starting), 3 (running), ... in order, at random moments: the
    // runner's reports are not awaited (unit-runner.ts `void this.report(...)`), so they overlap the writes
    const units = Array.from({ length: 20 }, (_, i) => `/u/web-1-${i + 1}`);
    const last = new Map<string, number>();
    const writes: Promise<void>[] = [];
    for (let step = 0; step < 400; step++) {
      const key = units[Math.floor(random() * units.length)];
      const next = (last.get(key) ?? 0) + 1;
      last.set(key, next);
      writes.push(session.put(key, String(next)).catch(() => undefined));
      if (random() < 0.3) await new Promise((r) => setTimeout(r, Math.floor(random() * 10)));
    }
    await Promise.all(writes);
    const deadline = Date.now() + 20_000;
    const settled = async () => {
      for (const [key, value] of last) if ((await store.get(key))?.value !== String(value)) return false;
      return true;
    };
    while (!(await settled()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const [key, value] of last) assert.equal((await store.get(key))?.value, String(value), `${key} holds its last report`);
    for (const [key, values] of applied) {
      for (let i = 1; i < values.length; i++) assert.ok(values[i] >= values[i - 1], `${key}: ${values[i - 1]} was followed by the older ${values[i]} (${values.join(',')})`);
    }
    assert.equal(maxInFlight, 1, 'one write at a time: a slow older write is never overtaken by a newer one');
    await session.stop();
    await store.close();
  });

  it('a fence: forgotten keys are never written or deleted by name; the abandoned lease is revoked with what is still its own', async () => {
    const store = new SqliteStore(':memory:');
    const renewals: number[] = [];
    let clock = 1000;
    const session = new LeaseSession(store, { ttlSeconds: 30, onRenewed: (at) => renewals.push(at), monotonic: () => clock });
    await session.start();
    assert.deepEqual(renewals, [1000], 'the first lease counts as a renewal');
    await session.put('/h/me', 'host');
    await session.put('/u/a', 'healthy here');
    await session.put('/u/b', 'healthy here');
    const oldLease = (await store.get('/u/a'))!.lease;
    // meanwhile /u/b was placed on another host, which wrote it under its own lease
    const other = await store.grantLease(30);
    await store.put('/u/b', 'healthy elsewhere', { lease: other.id });
    clock = 2000;
    session.forget('/u/a');
    session.forget('/u/b');
    session.abandon();
    const deadline = Date.now() + 5_000;
    while ((await store.get('/h/me'))?.lease === oldLease && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await store.get('/u/a'), undefined, 'gone with the abandoned lease');
    assert.equal((await store.get('/u/b'))?.value, 'healthy elsewhere', "the other host's key is left alone");
    const host = await store.get('/h/me');
    assert.equal(host?.value, 'host', 'the owned keys are written under a new lease');
    assert.notEqual(host?.lease, oldLease);
    assert.deepEqual(renewals, [1000, 2000]);
    await session.stop();
    assert.equal((await store.get('/u/b'))?.value, 'healthy elsewhere');
    await store.close();
  });

  it('abandoned while the store is away: no keep-alive of the old lease; the first contact revokes it and renews', async () => {
    const store = new SqliteStore(':memory:');
    let away = false;
    const calls: string[] = [];
    for (const m of ['keepAlive', 'grantLease', 'revoke', 'txn'] as const) {
      const real = (store[m] as (...a: unknown[]) => Promise<unknown>).bind(store);
      (store as unknown as Record<string, unknown>)[m] = async (...args: unknown[]) => {
        calls.push(m);
        if (away) throw new Error('14 UNAVAILABLE: No connection established');
        return real(...args);
      };
    }
    const renewals: number[] = [];
    const asked: number[] = [];
    const session = new LeaseSession(store, { ttlSeconds: 1, onRenewed: (at) => renewals.push(at), onRenewing: (at) => asked.push(at), onError: () => undefined });
    await session.start();
    await session.put('/u/a', 'healthy');
    const oldLease = (await store.get('/u/a'))!.lease;
    await new Promise((r) => setTimeout(r, 800));
    assert.ok(renewals.length >= 2, `kept alive while connected: ${renewals.length}`);
    away = true;
    await new Promise((r) => setTimeout(r, 500));
    const renewedBefore = renewals.length;
    session.forget('/u/a');
    session.abandon();
    calls.length = 0;
    const askedBefore = asked.length;
    await new Promise((r) => setTimeout(r, 800));
    assert.ok(!calls.includes('keepAlive'), `no keep-alive of the abandoned lease: ${calls.join(',')}`);
    assert.equal(renewals.length, renewedBefore, 'nothing renewed while away');
    assert.ok(asked.length > askedBefore, 'but a new lease was asked for (and not answered)');
    away = false;
    const deadline = Date.now() + 5_000;
    while (renewals.length === renewedBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(renewals.length > renewedBefore, 'renewed on the first contact');
    assert.equal(await store.get('/u/a'), undefined);
    assert.equal((await store.range('/u/')).kvs.length, 0);
    assert.ok(!(await store.keepAlive(oldLease)), 'the old lease was revoked');
    await session.stop();
    await store.close();
  });
  /**
   * The real store, with a hand on its txns: `fail` fails the next ones; `hold` keeps the next one from the
   * store until `release` (ok or failed): a write on its way while the caller goes on.
   */
  function heldStore() {
    const store = new SqliteStore(':memory:');
    const txn = store.txn.bind(store);
    const hand = {
      fail: 0,
      hold: false,
      held: undefined as undefined | { arrived: Promise<void>; release: (fail?: Error) => void },
    };
    let arrived!: () => void;
    const arm = () => {
      let release!: (fail?: Error) => void;
      const gate = new Promise<Error | undefined>((r) => (release = r));
      hand.held = { arrived: new Promise<void>((r) => (arrived = r)), release };
      return gate;
    };
    let gate: Promise<Error | undefined> | undefined;
    const holdNext = () => {
      hand.hold = true;
      gate = arm();
    };
    store.txn = async (req: TxnRequest) => {
      if (hand.fail > 0) {
        hand.fail--;
        throw new Error('14 UNAVAILABLE: Connection dropped');
      }
      if (hand.hold && gate) {
        hand.hold = false;
        arrived();
        const failed = await gate;
        if (failed) throw failed;
      }
      return txn(req);
    };
    return { store, hand, holdNext };
  }

  it("a forgotten key's retried write still on its way is waited for (settled): an agent's 'stopped' record is never overwritten by a heartbeat", async () => {
    const { store, hand, holdNext } = heldStore();
    const session = new LeaseSession(store, { ttlSeconds: 30, onError: () => {} });
    await session.start();
    const K = '/known/h1';
    // the session's retry timer does not hold the process open: this does, while the test waits for it
    const awake = setInterval(() => {}, 1000);
    try {
      await session.put(K, 'beat 1', { withoutLease: true });
      // a beat fails: the session writes it again after a pause, and that retry is on its way (held) when the agent stops
      hand.fail = 1;
      await assert.rejects(session.put(K, 'beat 2', { withoutLease: true }));
      holdNext();
      await hand.held!.arrived;
      session.forget(K);
      // the store answers the beat on its way a moment later; the agent waits for it before saying it stopped
      setTimeout(() => hand.held!.release(), 50);
      await session.settled(K);
      await store.put(K, 'stopped');
      await new Promise((r) => setTimeout(r, 600));
      assert.equal((await store.get(K))?.value, 'stopped', 'the retried beat landed before, not over the record');
    } finally {
      // a held write that a failed assertion left waiting is let go, or stop() waits for it forever
      hand.held?.release();
      clearInterval(awake);
      await session.stop();
      await store.close();
    }
  });

  it('a forgotten key whose write was on its way and failed is neither written again nor deleted by name', async () => {
    const { store, hand, holdNext } = heldStore();
    const session = new LeaseSession(store, { ttlSeconds: 30, onError: () => {} });
    await session.start();
    const K = '/known/h1';
    // the session's retry timer does not hold the process open: this does, while the test waits for it
    const awake = setInterval(() => {}, 1000);
    try {
      await session.put(K, 'beat 1', { withoutLease: true });
      holdNext();
      const beat = session.put(K, 'beat 2', { withoutLease: true });
      await hand.held!.arrived;
      session.forget(K);
      // the owner of the key from now on writes it while the beat is still on its way
      await store.put(K, 'stopped');
      hand.held!.release(new Error('14 UNAVAILABLE: Connection dropped'));
      await beat.catch(() => undefined);
      await session.settled(K);
      // the session's retries come after 250 ms, then 500 ms
      await new Promise((r) => setTimeout(r, 900));
      assert.equal((await store.get(K))?.value, 'stopped');
    } finally {
      // a held write that a failed assertion left waiting is let go, or stop() waits for it forever
      hand.held?.release();
      clearInterval(awake);
      await session.stop();
      await store.close();
    }
  });
});
