import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closest, editDistance } from './closest.js';

test('edit distance counts insertions, deletions and substitutions', () => {
  assert.equal(editDistance('', ''), 0);
  assert.equal(editDistance('deploy', 'deploy'), 0);
  assert.equal(editDistance('depoly', 'deploy'), 1); // a swap of neighbours is one edit
  assert.equal(editDistance('tga', 'tag'), 1);
  assert.equal(editDistance('servces', 'services'), 1);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
});

test('closest suggests a near word and nothing for a far one', () => {
  const commands = ['services', 'service', 'deploy', 'delete', 'units', 'hosts'];
  assert.equal(closest('servces', commands), 'services');
  assert.equal(closest('deplyo', commands), 'deploy');
  assert.equal(closest('unit', commands), 'units');
  assert.equal(closest('xyzzy', commands), undefined);
  assert.equal(closest('tga', ['url', 'tag', 'wait']), 'tag');
  assert.equal(closest('anything', []), undefined);
});
