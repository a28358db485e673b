import assert from 'node:assert/strict';
import { test } from 'node:test';
import { triggerText } from './trigger-text.js';

test('what started a deploy, and who asked', () => {
  assert.equal(triggerText({ source: 'api', tag: '2', actor: 'admin' }), 'api (tag 2) by admin');
  assert.equal(triggerText({ source: 'api', actor: 'admin' }), 'api by admin');
  assert.equal(triggerText({ source: 'rollback', rollbackOf: 1, actor: 'ci' }), 'rollback to v1 by ci');
  assert.equal(triggerText({ source: 'registry', tag: '3' }), 'registry (tag 3)');
  assert.equal(triggerText({ source: 'restart', restartOf: 3, actor: 'admin' }), 'restart of v3 by admin');
});
