import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdoptedUnits } from './adopted-units.js';

function setUp() {
  const alive = new Set<number>();
  const dead: Array<[string, number]> = [];
  const adopted = new AdoptedUnits({
    isAlive: (pid) => alive.has(pid),
    onDead: (unit, pid) => {
      dead.push([unit, pid]);
      adopted.untrack(unit, pid);
    },
    pollMs: 60_000,
  });
  return { alive, dead, adopted };
}

test('a poll reports the tracked units whose process is gone, once', () => {
  const { alive, dead, adopted } = setUp();
  alive.add(10).add(20);
  adopted.track('a', 10, 1);
  adopted.track('b', 20, 2);
  adopted.poll();
  assert.deepEqual(dead, []);
  alive.delete(20);
  adopted.poll();
  adopted.poll();
  assert.deepEqual(dead, [['b', 20]]);
  adopted.close();
});

test('untrack only matches the watched pid; forget drops the unit whatever its pid', () => {
  const { dead, adopted } = setUp();
  adopted.track('a', 10, 1);
  assert.equal(adopted.untrack('a', 11), false);
  assert.equal(adopted.untrack('a', 10), true);
  assert.equal(adopted.untrack('a', 10), false);
  adopted.track('b', 20, 2);
  adopted.forget('b');
  adopted.poll();
  assert.deepEqual(dead, []);
  adopted.close();
});

test('after close() nothing is tracked any more', () => {
  const { dead, adopted } = setUp();
  adopted.close();
  adopted.track('a', 10, 1);
  adopted.poll();
  assert.deepEqual(dead, []);
});
