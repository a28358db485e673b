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
});

test('completion offers exactly the options each service command takes', async () => {
  const { FLAGS } = await import('./completion-words.js');
  const { OPTIONS } = await import('./services.js');
  const { STATS_OPTIONS } = await import('./stats.js');
  for (const [cmd, options] of Object.entries({ ...OPTIONS, stats: STATS_OPTIONS })) {
    assert.deepEqual([...FLAGS[cmd]].sort(), Object.keys(options).map((o) => `--${o}`).sort(), cmd);
  }
});
