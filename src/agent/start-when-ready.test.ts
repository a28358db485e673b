import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StartWhenReady } from './start-when-ready.js';

const fast = { initialMs: 5, maxMs: 20 };

test('a first attempt that works: done at once, nothing retried', async () => {
  let attempts = 0;
  const s = new StartWhenReady({ attempt: async () => void attempts++, onFailure: () => assert.fail('no failure'), backoff: fast });
  assert.equal(await s.begin(), true);
  assert.equal(s.done, true);
  assert.equal(s.waitingFor, undefined);
  await s.stop();
  assert.equal(attempts, 1);
});

test('failing attempts are retried with growing delays until one works; waitingFor says why meanwhile', async () => {
  let attempts = 0;
  const delays: number[] = [];
  const s = new StartWhenReady({
    attempt: async () => {
      attempts++;
      if (attempts < 4) throw new Error(`Docker not reachable at /x.sock: connect ENOENT (${attempts})`);
    },
    onFailure: (_err, retryInMs) => delays.push(retryInMs),
    backoff: fast,
  });
  assert.equal(await s.begin(), false);
  assert.equal(s.done, false);
  assert.equal(s.waitingFor, 'Docker not reachable at /x.sock: connect ENOENT (1)');
  while (!s.done) await new Promise((r) => setTimeout(r, 5));
  assert.equal(attempts, 4);
  assert.deepEqual(delays, [5, 10, 20], 'core/backoff.ts delays, capped');
  assert.equal(s.waitingFor, undefined);
  await s.stop();
});

test('stop() ends the retries: no attempt after it', async () => {
  let attempts = 0;
  const s = new StartWhenReady({
    attempt: async () => {
      attempts++;
      throw new Error('not yet');
    },
    onFailure: () => undefined,
    backoff: { initialMs: 60_000, maxMs: 60_000 },
  });
  assert.equal(await s.begin(), false);
  const stopped = Date.now();
  await s.stop();
  assert.ok(Date.now() - stopped < 1000, 'stop does not wait out the delay');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(attempts, 1);
  assert.equal(s.done, false);
});
