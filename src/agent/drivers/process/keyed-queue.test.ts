import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { KeyedQueue } from './keyed-queue.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('KeyedQueue', () => {
  it('runs operations on one key one after another, in order, also after a failure', async () => {
    const q = new KeyedQueue();
    const log: string[] = [];
    let release!: () => void;
    const first = q.run('a', async () => {
      log.push('a1 start');
      await new Promise<void>((r) => (release = r));
      log.push('a1 end');
      throw new Error('a1 failed');
    });
    const second = q.run('a', async () => {
      log.push('a2');
      return 2;
    });
    await tick();
    assert.deepEqual(log, ['a1 start']);
    release();
    await assert.rejects(first, /a1 failed/);
    assert.equal(await second, 2);
    assert.deepEqual(log, ['a1 start', 'a1 end', 'a2']);
  });

  it('lets other keys run meanwhile and forgets a key once its chain is done', async () => {
    const q = new KeyedQueue();
    let release!: () => void;
    const blocked = q.run('a', () => new Promise<void>((r) => (release = r)));
    assert.equal(await q.run('b', async () => 'b ran'), 'b ran');
    await tick();
    assert.equal(q.size, 1, "only a's chain is left");
    release();
    await blocked;
    await tick();
    assert.equal(q.size, 0);
  });
});
