import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextProblems } from './host-problems.js';

test('a problem seen again keeps the time it was first seen; a new one starts now; a gone one is dropped', () => {
  const first = nextProblems([], [{ component: 'driver', message: 'does not answer' }], 100);
  assert.deepEqual(first, [{ component: 'driver', message: 'does not answer', since: 100 }]);
  const again = nextProblems(first, [{ component: 'driver', message: 'does not answer' }, { component: 'router', message: 'down' }], 200);
  assert.deepEqual(again, [{ component: 'driver', message: 'does not answer', since: 100 }, { component: 'router', message: 'down', since: 200 }]);
  assert.deepEqual(nextProblems(again, [], 300), []);
});

test('a problem whose message changed is a new problem', () => {
  const a = nextProblems([], [{ component: 'driver', message: 'x' }], 1);
  assert.equal(nextProblems(a, [{ component: 'driver', message: 'y' }], 5)[0].since, 5);
});
