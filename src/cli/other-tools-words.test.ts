import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pazNameOf } from './other-tools-words.js';

test("other tools' words for Paz commands", () => {
  assert.equal(pazNameOf('versions'), 'history');
  assert.equal(pazNameOf('releases'), 'history');
  assert.equal(pazNameOf('apps'), 'services');
  assert.equal(pazNameOf('status'), 'health');
  assert.equal(pazNameOf('servces'), undefined, 'a misspelling is for closest()');
  assert.equal(pazNameOf('constructor'), undefined, 'not an object property');
  assert.equal(pazNameOf('reboot'), 'restart');
  for (const w of ['run', 'ssh', 'enter']) assert.equal(pazNameOf(w), 'exec', w);
  assert.equal(pazNameOf('restart'), undefined, 'a Paz command of its own');
  assert.equal(pazNameOf('reset'), null, 'no Paz command, and the closest spellings (restart, restore) must not be offered');
});
