import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deployProgress, type RolloutUnit } from './deploy-progress.js';

const unit = (name: string, version: number, state: string, healthy = state === 'healthy'): RolloutUnit => ({ name, version, state, healthy });

test('while deploying: healthy n of m, with what the others do', () => {
  const p = deployProgress('web', 2, { version: 2, state: 'deploying', units: [unit('web-1-1', 1, 'healthy'), unit('web-2-1', 2, 'pulling'), unit('web-2-2', 2, 'starting'), unit('web-2-3', 2, 'healthy')] });
  assert.deepEqual(p, { outcome: 'wait', line: 'web version 2: healthy 1 of 3 (1 pulling, 1 started)' });
});

test('while deploying: why instances wait for a host or keep exiting, the same reason once', () => {
  const noHost = 'no host is available: start an agent (paz agent, or paz up on a single host)';
  const p = deployProgress('web', 1, {
    version: 1,
    state: 'deploying',
    units: [
      { ...unit('web-1-1', 1, 'unplaced'), reason: noHost },
      { ...unit('web-1-2', 1, 'unplaced'), reason: noHost },
      { ...unit('web-1-3', 1, 'exited'), reason: 'exited with code 3: missing DATABASE_URL' },
      { ...unit('web-1-4', 1, 'starting'), reason: 'waiting for the health check: GET / gets an HTTP answer below 500' },
    ],
  });
  assert.deepEqual(p, { outcome: 'wait', line: `web version 1: healthy 0 of 4 (2 waiting, 1 started, 1 failed); web-1-1 and web-1-2 unplaced: ${noHost}; web-1-3 exited: exited with code 3: missing DATABASE_URL` });
});

test('after success it waits for old instances to drain and stop', () => {
  const units = [unit('web-1-1', 1, 'healthy'), unit('web-2-1', 2, 'healthy')];
  assert.equal(deployProgress('web', 2, { version: 2, state: 'succeeded', units }).line, 'web version 2: healthy 1 of 1; draining 1 old instance (web-1-1)');
  const stopping = deployProgress('web', 2, { version: 2, state: 'succeeded', units: units.slice(1), stopping: ['web-1-1'] });
  assert.deepEqual(stopping, { outcome: 'wait', line: 'web version 2: healthy 1 of 1; stopping web-1-1' });
  assert.deepEqual(deployProgress('web', 2, { version: 2, state: 'succeeded', units: units.slice(1), stopping: [] }), {
    outcome: 'done',
    line: 'web version 2 is serving (1 instance); old instances drained and stopped',
  });
});

test('a failed deploy ends the wait with its reason; a newer deploy too', () => {
  assert.deepEqual(deployProgress('web', 2, { version: 2, state: 'failed', reason: 'web-2-1 failed: pull access denied', units: [] }), {
    outcome: 'failed',
    line: 'deploy of web version 2 failed: web-2-1 failed: pull access denied',
  });
  assert.equal(deployProgress('web', 2, { version: 3, state: 'deploying', units: [] }).outcome, 'replaced');
});

test("the server's reason is shown with its control characters spelled out", () => {
  const p = deployProgress('web', 2, { version: 2, state: 'failed', reason: 'web-2-1 exited: \x1b[2Jbye\r', units: [] });
  assert.equal(p.line, 'deploy of web version 2 failed: web-2-1 exited: \\x1b[2Jbye\\r');
});
