import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter, Pacer } from './pacing.js';

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

  it('frees the slot of a task that failed', async () => {
    const limiter = new Limiter(1);
    await assert.rejects(limiter.run(async () => { throw new Error('boom'); }), /boom/);
    assert.equal(await limiter.run(async () => 'next'), 'next');
  });
});

describe('Pacer', () => {
  it('lets callers through one at a time, in call order, each in a later event-loop turn', async () => {
    const pacer = new Pacer();
    const order: string[] = [];
    let synchronous = true;
    const turns = Array.from({ length: 3 }, (_, i) => pacer.turn().then(() => order.push(`turn ${i}${synchronous ? ' (same turn!)' : ''}`)));
    synchronous = false;
    await Promise.all(turns);
    assert.deepEqual(order, ['turn 0', 'turn 1', 'turn 2']);
  });
});
