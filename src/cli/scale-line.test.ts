import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scaleLine } from './scale-line.js';

test('a never-deployed service: says the count changed and that nothing runs until a deploy', () => {
  assert.equal(scaleLine('web', 1, 3, { version: 0, added: [], draining: [] }), 'web has never been deployed, so nothing was started or stopped: numInstances 1 → 3; `paz deploy web` starts 3 instances');
  assert.equal(scaleLine('web', 2, 2, { version: 0, added: [], draining: [] }), 'web has never been deployed, so nothing was started or stopped: numInstances was already 2; `paz deploy web` starts 2 instances');
  assert.equal(scaleLine('web', undefined, 1, { version: 0, added: [], draining: [] }), 'web has never been deployed, so nothing was started or stopped: numInstances is now 1; `paz deploy web` starts 1 instance');
});

test('a deployed service: the count and which instances start or drain', () => {
  assert.equal(scaleLine('web', 1, 3, { version: 4, added: ['web-4-2', 'web-4-3'], draining: [] }), 'web version 4: numInstances 1 → 3; adding web-4-2 and web-4-3');
  const many = Array.from({ length: 997 }, (_, i) => `web-4-${i + 4}`);
  assert.equal(scaleLine('web', 3, 1000, { version: 4, added: many, draining: [] }), 'web version 4: numInstances 3 → 1000; adding web-4-4, web-4-5, web-4-6, web-4-7, web-4-8 and 992 more');
  assert.equal(scaleLine('web', 3, 1, { version: 4, added: [], draining: ['web-4-2', 'web-4-3'] }), 'web version 4: numInstances 3 → 1; draining web-4-2 and web-4-3');
  assert.equal(scaleLine('web', 2, 2, { version: 4, added: [], draining: [] }), 'web version 4: numInstances was already 2; no instance started or stopped (2 instances already)');
});
