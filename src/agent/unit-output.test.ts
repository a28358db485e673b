import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OUTPUT_LINE_CHARS, OUTPUT_LINES, boundOutput, reasonWithOutput } from './unit-output.js';

test('keeps the last 10 non-blank lines, cut to a bounded length, without control characters', () => {
  const lines = Array.from({ length: 25 }, (_, i) => `line ${i}`);
  lines.push('', '   ', `\u001b[31mred\u001b[0m error`, 'x'.repeat(5000));
  const out = boundOutput(lines);
  assert.equal(out.length, OUTPUT_LINES);
  assert.equal(out.at(-2), '[31mred[0m error');
  assert.equal(out.at(-1)!.length, OUTPUT_LINE_CHARS);
  assert.ok(out.at(-1)!.endsWith('…'));
  assert.equal(out[0], 'line 17');
});

test('the reason quotes the last line, shortened; no output leaves the reason as it is', () => {
  assert.equal(reasonWithOutput('exited with code 3', ['starting', 'config.yml not found']), 'exited with code 3: config.yml not found');
  assert.equal(reasonWithOutput('exited with code 3', []), 'exited with code 3');
  assert.ok(reasonWithOutput('exited with code 1', ['y'.repeat(1000)]).length < 160);
});
