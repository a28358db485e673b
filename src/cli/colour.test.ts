import { test } from 'node:test';
import assert from 'node:assert/strict';
import { colourOn, paint, paintHealth } from './colour.js';

test('colour only on a terminal, and never with NO_COLOR or TERM=dumb; FORCE_COLOR asks for it', () => {
  assert.equal(colourOn({ isTTY: true }, {}), true);
  assert.equal(colourOn({ isTTY: false }, {}), false);
  assert.equal(colourOn({}, {}), false, 'a pipe or a file has no isTTY');
  assert.equal(colourOn({ isTTY: true }, { NO_COLOR: '1' }), false);
  assert.equal(colourOn({ isTTY: true }, { TERM: 'dumb' }), false);
  assert.equal(colourOn({ isTTY: false }, { FORCE_COLOR: '1' }), true);
  assert.equal(colourOn({ isTTY: true }, { FORCE_COLOR: '0' }), true, 'FORCE_COLOR=0 forces nothing');
  assert.equal(colourOn({ isTTY: true }, { NO_COLOR: '1', FORCE_COLOR: '1' }), false, 'NO_COLOR wins');
});

test('paint wraps in an ANSI colour only when on', () => {
  assert.equal(paint(true, 'red', 'x'), '\x1b[31mx\x1b[0m');
  assert.equal(paint(false, 'red', 'x'), 'x');
  assert.equal(paintHealth(true, 'healthy'), '\x1b[32mhealthy\x1b[0m');
  assert.equal(paintHealth(true, 'degraded'), '\x1b[33mdegraded\x1b[0m');
  assert.equal(paintHealth(true, 'unhealthy'), '\x1b[31munhealthy\x1b[0m');
  assert.equal(paintHealth(false, 'unhealthy'), 'unhealthy');
});
