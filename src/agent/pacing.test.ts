import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter, Pacer } from './pacing.js';

/** Runs `n` tasks of `ms` each through `limiter` together; answers how many ran at once at most. */
async function mostAtOnce(limiter: Limiter, n: number, ms = 5): Promise<number> {
  let active = 0;
  let most = 0;
  await Promise.all(Array.from({ length: n }, () => limiter.run(async () => {
    active++;
    most = Math.max(most, active);
    await new Promise((r) => setTimeout(r, ms));
    active--;
  })));
  return most;
}

describe('Limiter', () => {
  it('runs at most its limit at once, and everything eventually', async () => {
    const limiter = new Limiter(3);
    let active = 0;
    let most = 0;
    const done = await Promise.all(Array.from({ length: 20 }, (_, i) => limiter.run(async () => {
      active++;
      most = Math.max(most, active);
      await new Promise((r) => setTimeout(r, 1));
      active--;
      return i;
    })));
    assert.equal(most, 3);
    assert.deepEqual(done, Array.from({ length: 20 }, (_, i) => i));
  });

  it('gives up the slot of a task that holds it longer than holdMs; the task goes on and its result still comes', async () => {
    const limiter = new Limiter(2);
    let releaseStuck: () => void = () => {};
    const stuckDone = new Promise<void>((r) => (releaseStuck = r));
    // two tasks that hang: without holdMs they would hold both slots until released
    const stuck = [1, 2].map((i) => limiter.run(async () => (await stuckDone, `stuck ${i}`), 30));
    const order: string[] = [];
    const quick = await Promise.race([limiter.run(async () => (order.push('quick ran'), 'quick'), 30), new Promise((r) => setTimeout(r, 2000, 'still waiting for a slot'))]);
    assert.equal(quick, 'quick');
    // at most `limit` run in slots at once: only two more get in while the stuck ones go on
    assert.equal(await mostAtOnce(limiter, 6), 2);
    releaseStuck();
    assert.deepEqual(await Promise.all(stuck), ['stuck 1', 'stuck 2']);
    assert.deepEqual(order, ['quick ran']);
  });

  it('a task that ends before holdMs frees its slot once, not again when holdMs passes', async () => {
    const limiter = new Limiter(1);
    await limiter.run(async () => 'fast', 20);
    // were the slot freed twice, two tasks would then run at once
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(await mostAtOnce(limiter, 4), 1);
  });

  it('frees the slot of a task that failed', async () => {
    const limiter = new Limiter(1);
    await assert.rejects(limiter.run(async () => { throw new Error('boom'); }), /boom/);
    assert.equal(await limiter.run(async () => 'next'), 'next');
  });
});

describe('Pacer', () => {
  it('lets callers through in call order, never synchronously', async () => {
    const pacer = new Pacer();
    const order: string[] = [];
    let synchronous = true;
    const turns = Array.from({ length: 3 }, (_, i) => pacer.turn().then(() => order.push(`turn ${i}${synchronous ? ' (synchronously!)' : ''}`)));
    synchronous = false;
    await Promise.all(turns);
    assert.deepEqual(order, ['turn 0', 'turn 1', 'turn 2']);
  });

  it('lets cheap callers through in one turn', async () => {
    const pacer = new Pacer();
    // callers let through after the turn of the first one's has ended (set by an immediate it schedules)
    const attempt = async (): Promise<number[]> => {
      const nextTurn = { begun: false };
      const late: number[] = [];
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          pacer.turn().then(() => {
            if (i === 0) setImmediate(() => (nextTurn.begun = true));
            if (nextTurn.begun) late.push(i);
          }),
        ),
      );
      return late;
    };
    // a busy machine may stall this process for longer than the turn's budget now and then: once is enough
    const attempts = [await attempt()];
    while (attempts.at(-1)!.length > 0 && attempts.length < 3) attempts.push(await attempt());
    assert.deepEqual(attempts.at(-1), [], `cheap callers waited for later turns in ${attempts.length} attempts: ${JSON.stringify(attempts)}`);
  });

  it('sends the caller after a costly one to a later turn, so I/O is handled between', async () => {
    const pacer = new Pacer();
    const nextTurn = { begun: false };
    const costly = pacer.turn().then(() => {
      setImmediate(() => (nextTurn.begun = true));
      const until = performance.now() + 10;
      while (performance.now() < until) {
        // synchronous work, as a start's cgroup directories and state files
      }
    });
    let afterCostly: boolean | undefined;
    const next = pacer.turn().then(() => (afterCostly = nextTurn.begun));
    await Promise.all([costly, next]);
    assert.equal(afterCostly, true, 'the caller after a 10 ms one ran in the same turn');
  });

  it('lets callers through while the loop stays busy, more slowly', { timeout: 20_000 }, async () => {
    const pacer = new Pacer();
    // a loop that never waits for I/O: an immediate that schedules itself
    let busy = true;
    const spin = () => setImmediate(() => busy && spin());
    spin();
    await new Promise((r) => setTimeout(r, 50));
    await Promise.all(Array.from({ length: 100 }, () => pacer.turn()));
    busy = false;
  });

  it('lets a bounded number through in one turn, however cheap', async () => {
    const pacer = new Pacer();
    // the loop turn each caller went through in, counted by an immediate that schedules itself
    let turn = 0;
    let counting = true;
    const count = () => setImmediate(() => {
      turn++;
      if (counting) count();
    });
    count();
    const turnOf: number[] = [];
    await Promise.all(Array.from({ length: 300 }, () => pacer.turn().then(() => turnOf.push(turn))));
    counting = false;
    const perTurn = new Map<number, number>();
    for (const t of turnOf) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
    assert.ok(Math.max(...perTurn.values()) <= 128, `callers per turn: ${JSON.stringify([...perTurn])}`);
  });
});
