import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientCommands, clientHelp } from './client-commands.js';

test("every client command's --help has its usage line, an example of it and the common options", () => {
  for (const cmd of Object.keys(clientCommands)) {
    const help = clientHelp(cmd);
    assert.match(help, new RegExp(`^  paz ${cmd === 'ps' ? 'units' : cmd}\\b`, 'm'), cmd);
    assert.match(help, new RegExp(`Examples?:\\n  paz ${cmd}\\b`), cmd);
    assert.match(help, /--url URL/, cmd);
  }
  // a usage that goes on over more lines is shown whole
  assert.match(clientHelp('deploy'), /until the old\n\s+instances are stopped, exit 1 if it fails/);
  assert.match(clientHelp('exec'), /run a command in a running instance \(a migration, a\n\s+one-off script\)/);
  assert.doesNotMatch(clientHelp('deploy'), /paz rollback/, 'and only its own');
});

test('completion offers exactly the options paz exec takes', async () => {
  const { FLAGS } = await import('./completion-words.js');
  const { EXEC_OPTIONS } = await import('./exec.js');
  assert.deepEqual([...FLAGS.exec].sort(), Object.keys(EXEC_OPTIONS).map((o) => `--${o}`).sort());
});

test('completion offers exactly the options each service command takes', async () => {
  const { FLAGS } = await import('./completion-words.js');
  const { OPTIONS } = await import('./services.js');
  const { STATS_OPTIONS } = await import('./stats.js');
  for (const [cmd, options] of Object.entries({ ...OPTIONS, stats: STATS_OPTIONS })) {
    assert.deepEqual([...FLAGS[cmd]].sort(), Object.keys(options).map((o) => `--${o}`).sort(), cmd);
  }
});
