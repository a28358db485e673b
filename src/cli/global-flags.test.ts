import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitGlobalFlags } from './global-flags.js';
import { UsageError } from './usage-error.js';

const cmd = (argv: string[]) => {
  const s = splitGlobalFlags(argv);
  return [s.command, ...s.args];
};

test('options before the command move after its own arguments, in the order given', () => {
  assert.deepEqual(cmd(['--profile', 'prod', 'services']), ['services', '--profile', 'prod']);
  assert.deepEqual(cmd(['--url', 'http://h:9000', '--token', 'T', 'units', 'web']), ['units', 'web', '--url', 'http://h:9000', '--token', 'T']);
  assert.deepEqual(cmd(['--json', 'config', 'diff', 'web', '3']), ['config', 'diff', 'web', '3', '--json']);
  assert.deepEqual(cmd(['--url=http://h', '--data-dir=/d', 'hosts']), ['hosts', '--url=http://h', '--data-dir=/d']);
  assert.deepEqual(cmd(['-h', 'deploy']), ['deploy', '-h']);
  assert.deepEqual(cmd(['--help', 'config']), ['config', '--help']);
});

test('the command and everything after it are left as they are; a -- stays last', () => {
  assert.deepEqual(cmd(['deploy', 'web', '--tag', '2']), ['deploy', 'web', '--tag', '2']);
  assert.deepEqual(cmd(['--profile', 'p', 'secret', 'set', 'web', '--', '-X=1']), ['secret', 'set', 'web', '--profile', 'p', '--', '-X=1']);
  assert.deepEqual(cmd(['--', 'services']), ['services'], '-- ends the options before the command');
  assert.deepEqual(cmd(['create', '-', '--json']), ['create', '-', '--json']);
});

test('help and version with no command; nothing at all', () => {
  assert.deepEqual(splitGlobalFlags(['-h']), { args: [], help: true, version: false });
  assert.deepEqual(splitGlobalFlags(['--help']), { args: [], help: true, version: false });
  assert.deepEqual(splitGlobalFlags(['--version']), { args: [], help: false, version: true });
  assert.deepEqual(splitGlobalFlags(['--profile', 'p', '--version']), { args: [], help: false, version: true });
  assert.deepEqual(splitGlobalFlags([]), { args: [], help: false, version: false });
});

test('unknown options, missing values and options with no command are usage errors in Paz words', () => {
  const fails = (argv: string[], re: RegExp) => assert.throws(() => splitGlobalFlags(argv), (e: unknown) => e instanceof UsageError && re.test(e.message), argv.join(' '));
  fails(['--profil', 'x', 'services'], /^unknown option --profil before the command \(did you mean --profile\?\)$/);
  fails(['--jsno', 'services'], /did you mean --json\?/);
  fails(['--tag=2', 'deploy', 'web'], /^unknown option --tag before the command \(the options that may come first: --url --token .*; the others go after the command\)$/);
  fails(['-x', 'services'], /^unknown option -x/);
  fails(['-json', 'services'], /^unknown option -json before the command \(did you mean --json\?\)$/);
  fails(['--url'], /^option --url needs a value$/);
  fails(['--token', '--json', 'services'], /^option --token needs a value$/);
  fails(['--json=yes', 'services'], /^option --json takes no value$/);
  fails(['--json'], /^--json: name a command after the options \(e\.g\. paz --json services\)$/);
  fails(['--url', 'services'], /name a command/);
});
