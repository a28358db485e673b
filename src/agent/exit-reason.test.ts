import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exitWhy, signalOfExitCode } from './exit-reason.js';

test('an exit code is said as it is; a memory kill as such', () => {
  assert.deepEqual(exitWhy(3, false), { why: 'exited with code 3', quoteOutput: true });
  assert.deepEqual(exitWhy(0, false), { why: 'exited with code 0', quoteOutput: true });
  assert.deepEqual(exitWhy(undefined, false), { why: 'exited with code unknown', quoteOutput: true });
  assert.deepEqual(exitWhy(137, true), { why: 'killed for using more memory than its limit', quoteOutput: true });
  // 128 itself and codes past the signals are plain codes
  assert.equal(exitWhy(128, false).why, 'exited with code 128');
  assert.equal(exitWhy(255, false).why, 'exited with code 255');
});

test('a signal sent from outside is named, and the output before it is not taken for the cause', () => {
  const killed = exitWhy(137, false);
  assert.match(killed.why, /^killed by SIGKILL \(exit code 137\), not by its memory limit: something outside the app ended it/);
  assert.equal(killed.quoteOutput, false);
  assert.deepEqual(exitWhy(143, false), { why: 'ended by SIGTERM (exit code 143), sent from outside Paz (docker stop, kill)', quoteOutput: false });
  assert.equal(exitWhy(130, false).why, 'ended by SIGINT (exit code 130), sent from outside Paz (docker stop, kill)');
  assert.equal(exitWhy(129, false).quoteOutput, false, 'SIGHUP');
});

test('a crash signal is named, and the output before it may say why', () => {
  assert.deepEqual(exitWhy(139, false), { why: 'ended by SIGSEGV (exit code 139)', quoteOutput: true });
  assert.deepEqual(exitWhy(134, false), { why: 'ended by SIGABRT (exit code 134)', quoteOutput: true });
  assert.equal(signalOfExitCode(135), 'SIGBUS');
  assert.equal(signalOfExitCode(9), undefined, 'a plain code, not a signal');
});
