import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { commandText, maskSecrets, execCommandProblem, execTarget, execTimeoutProblem, exitCodeOfSignal, instanceStoppedMeanwhile, EXEC_MAX_ARGS, EXEC_MAX_TIMEOUT_SECONDS } from './exec-command.js';

test('a command is a list of strings, the program first, that execve can take', () => {
  assert.equal(execCommandProblem(['sh', '-c', 'echo hi']), undefined);
  assert.equal(execCommandProblem(['env', '']), undefined, 'an empty argument is an argument');
  assert.match(execCommandProblem('rake db:migrate')!, /must be a list of arguments, the program first/);
  assert.match(execCommandProblem([])!, /command is empty/);
  assert.match(execCommandProblem([''])!, /the program, is empty/);
  assert.match(execCommandProblem(['sh', 3])!, /command\[1\] must be a string/);
  assert.match(execCommandProblem(['a\0b'])!, /NUL/);
  assert.match(execCommandProblem(Array(EXEC_MAX_ARGS + 1).fill('x'))!, /at most 256/);
  assert.match(execCommandProblem(['x'.repeat(70_000)])!, /longer than/);
});

test('a timeout is a whole number of seconds within bounds, or absent', () => {
  assert.equal(execTimeoutProblem(undefined), undefined);
  assert.equal(execTimeoutProblem(1), undefined);
  assert.equal(execTimeoutProblem(EXEC_MAX_TIMEOUT_SECONDS), undefined);
  for (const bad of [0, -1, 1.5, EXEC_MAX_TIMEOUT_SECONDS + 1, '60', null]) assert.match(execTimeoutProblem(bad)!, /whole number of seconds from 1/, String(bad));
});

test('the command as a shell would show it', () => {
  assert.equal(commandText(['rake', 'db:migrate']), 'rake db:migrate');
  assert.equal(commandText(['sh', '-c', "echo 'hi' there"]), `sh -c 'echo '\\''hi'\\'' there'`);
  assert.equal(commandText(['x'.repeat(600)]).length, 500);
});

test('a process ended by a signal exits 128 + its number, as a shell says', () => {
  assert.equal(exitCodeOfSignal('SIGKILL', constants.signals), 137);
  assert.equal(exitCodeOfSignal('SIGTERM', constants.signals), 143);
  assert.equal(exitCodeOfSignal(null, constants.signals), 1);
});

test('without a unit named, a command runs in a running, healthy instance of the newest version', () => {
  const u = (name: string, version: number, instance: number, state: string, healthy: boolean, extra: object = {}) =>
    ({ name, service: 'web', version, instance, state, healthy, host: 'h1', ...extra }) as unknown as Parameters<typeof execTarget>[1][number];
  assert.equal((execTarget('web', [u('web-1-1', 1, 1, 'running', true), u('web-2-2', 2, 2, 'running', true), u('web-2-1', 2, 1, 'running', true)]) as { name: string }).name, 'web-2-1');
  assert.equal((execTarget('web', [u('web-2-1', 2, 1, 'unhealthy', false), u('web-1-1', 1, 1, 'healthy', true)]) as { name: string }).name, 'web-1-1', 'healthy first');
  assert.equal((execTarget('web', [u('web-2-1', 2, 1, 'unhealthy', false), u('web-1-1', 1, 1, 'exited', false)]) as { name: string }).name, 'web-2-1', 'an unhealthy one runs: worth a look');
  assert.equal((execTarget('web', [u('web-2-1', 2, 1, 'running', true, { drainingSince: 1 }), u('web-1-1', 1, 1, 'running', false)]) as { name: string }).name, 'web-1-1', 'not one being retired');
  assert.match(execTarget('web', []) as string, /web has no instances: deploy it \(paz deploy web\)/);
  assert.match(execTarget('web', [u('web-1-1', 1, 1, 'exited', false), u('web-1-2', 1, 2, 'pulling', false)]) as string, /no instance of web is running \(exited, pulling\): see paz units web/);
  assert.match(execTarget('web', [u('web-1-1', 1, 1, 'running', true, { host: null })]) as string, /no instance of web is running/);
});

test('secrets typed into a command are masked in what the journal records', () => {
  assert.equal(maskSecrets('postgres://app:s3cret@db:5432/app'), 'postgres://app:***@db:5432/app');
  assert.equal(maskSecrets('DB_PASSWORD=hunter2'), 'DB_PASSWORD=***');
  assert.equal(maskSecrets('--token=abc.def'), '--token=***');
  assert.equal(maskSecrets('--api-key=k1'), '--api-key=***');
  assert.equal(maskSecrets("PGPASSWORD=x psql 'host=db password=y'"), "PGPASSWORD=*** psql 'host=db password=***'");
  assert.equal(maskSecrets('rake db:migrate'), 'rake db:migrate', 'nothing secret: as typed');
  assert.equal(maskSecrets('http://example.com/a@b'), 'http://example.com/a@b', 'no password in the URL');
  assert.equal(commandText(['env', 'SECRET_KEY_BASE=abc', 'rails', 'runner', 'x']), 'env SECRET_KEY_BASE=*** rails runner x');
  assert.equal(commandText(['sh', '-c', 'curl https://u:p@host/x']), "sh -c 'curl https://u:***@host/x'");
  assert.equal(maskSecrets('a=1 token= b'), 'a=1 token= b', 'no value: nothing to mask');
  assert.equal(maskSecrets('mysql://root@db x://a:b@c'), 'mysql://root@db x://a:***@c');
  // arguments of 64 KiB that nearly match, as a hostile caller sends them: scanned in linear time
  const long = 'a'.repeat(65_536);
  assert.equal(maskSecrets(long), long);
  assert.equal(maskSecrets(`${'p'.repeat(65_536)}=`), `${'p'.repeat(65_536)}=`);
  assert.equal(maskSecrets('x://'.repeat(16_384)), 'x://'.repeat(16_384));
  assert.equal(maskSecrets('token='.repeat(10_000)), 'token=***', 'the value runs to the end');
  assert.equal(maskSecrets(`pw://${'u:'.repeat(30_000)}@h`), `pw://u:***@h`);
});

test('an instance stopped meanwhile: gone, not running, or running again as a new run', () => {
  const run = { id: 'c1', state: 'running', pid: 40, startedAt: '2026-12-01T08:00:00Z' };
  assert.equal(instanceStoppedMeanwhile(run, { ...run }), false, 'the same run');
  assert.equal(instanceStoppedMeanwhile(run, undefined), true, 'removed');
  assert.equal(instanceStoppedMeanwhile(run, { ...run, state: 'exited' }), true, 'exited');
  assert.equal(instanceStoppedMeanwhile(run, { ...run, pid: 41, startedAt: '2026-12-01T08:00:03Z' }), true, 'crashed and restarted by its agent: running, but not the run the command was in');
  assert.equal(instanceStoppedMeanwhile(run, { ...run, id: 'c2' }), true, 'replaced by a new container');
});
