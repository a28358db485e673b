import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matching, whatToComplete } from './completion-words.js';

const table = { services: {}, deploy: {}, config: { subcommands: ['show', 'set', 'unset', 'edit', 'diff'] }, secret: { subcommands: ['set', 'unset', 'ls'] }, profile: { subcommands: ['ls', 'use', 'rm'] }, __complete: { hidden: true }, up: {} };

test('commands first, without hidden ones; then verbs, flags, and what to look up', () => {
  assert.deepEqual(whatToComplete([''], table), { candidates: ['config', 'deploy', 'help', 'profile', 'secret', 'services', 'up', 'version'] });
  assert.deepEqual(whatToComplete(['secret', ''], table), { candidates: ['set', 'unset', 'ls'] });
  assert.deepEqual(whatToComplete(['secret', 'set', ''], table), { need: 'services' });
  assert.deepEqual(whatToComplete(['secret', 'set', 'web', ''], table), { candidates: [] });
  assert.deepEqual(whatToComplete(['deploy', '--url', 'http://x', ''], table), { need: 'services' }, 'flag values are skipped');
  assert.deepEqual(whatToComplete(['deploy', '--wait', ''], table), { need: 'services' }, 'a boolean flag takes no value');
  assert.deepEqual(whatToComplete(['deploy', '--tag', ''], table), { candidates: [] }, 'a flag value: nothing to offer');
  assert.deepEqual(whatToComplete(['config', ''], table), { need: 'services', also: ['show', 'set', 'unset', 'edit', 'diff'] });
  assert.deepEqual(whatToComplete(['profile', 'use', ''], table), { need: 'profiles' });
  assert.deepEqual(whatToComplete(['deploy', 'web', '--profile', ''], table), { need: 'profiles' });
  assert.ok(matching((whatToComplete(['up', '--no-'], table) as { candidates: string[] }).candidates, '--no-').includes('--no-auth'));
  assert.deepEqual(whatToComplete(['nope', ''], table), { candidates: [] });
  assert.deepEqual(whatToComplete(['--'], table), { candidates: ['--url', '--token', '--profile', '--data-dir', '--json', '--help', '--version'] });
  assert.deepEqual(whatToComplete(['--profile', ''], table), { need: 'profiles' }, 'the value of --profile before the command');
  assert.deepEqual(whatToComplete(['--url', ''], table), { candidates: [] });
  assert.deepEqual(whatToComplete(['--profile', 'p', '--json', 'se'], table), whatToComplete(['se'], table), 'options before the command are skipped');
  assert.deepEqual(whatToComplete(['--url=http://x', 'deploy', ''], table), { need: 'services' });
  assert.deepEqual(whatToComplete(['--profile', 'p', 'config', 'set', 'web', 'env.'], table), { need: 'config-keys', service: 'web', verb: 'set' });
  assert.deepEqual(whatToComplete(['config', 'set', 'web', 'num'], table), { need: 'config-keys', service: 'web', verb: 'set' });
  assert.deepEqual(whatToComplete(['config', 'unset', 'web', 'env.X', 'hea'], table), { need: 'config-keys', service: 'web', verb: 'unset' });
  assert.deepEqual(whatToComplete(['config', 'show', '--url', 'http://x', 'web', 'env.'], table), { need: 'config-keys', service: 'web', verb: 'show' });
  assert.deepEqual(whatToComplete(['config', 'web', 'env.'], table), { need: 'config-keys', service: 'web', verb: 'show' }, 'config SERVICE KEY is show');
  assert.deepEqual(whatToComplete(['config', 'diff', 'web', ''], table), { candidates: [] });
});
