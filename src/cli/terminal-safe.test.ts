import { test } from 'node:test';
import assert from 'node:assert/strict';
import { terminalSafe } from './terminal-safe.js';
import { table } from './table.js';

test('escape sequences, carriage returns and other controls are spelled out; text, tabs and line feeds stay', () => {
  assert.equal(terminalSafe('no service named x\x1b[31mred'), 'no service named x\\x1b[31mred');
  // a title set through OSC, ended by BEL
  assert.equal(terminalSafe('abc\x1b]0;pwned\x07'), 'abc\\x1b]0;pwned\\x07');
  assert.equal(terminalSafe('progress\roverwritten'), 'progress\\roverwritten');
  assert.equal(terminalSafe('\x00\x7f\x9b'), '\\x00\\x7f\\x9b');
  assert.equal(terminalSafe('line one\n\tline two — ünïcode ✓'), 'line one\n\tline two — ünïcode ✓');
});

test('a table spells out what a cell holds that would move the cursor or break the columns', () => {
  const out = table(['UNIT', 'REASON'], [['web-1-1', 'exited\x1b[2J\r\nthen\tcrashed'], ['web-1-2', 'ok']]);
  assert.equal(out, ['UNIT     REASON', 'web-1-1  exited\\x1b[2J\\r\\nthen crashed', 'web-1-2  ok'].join('\n'));
});
