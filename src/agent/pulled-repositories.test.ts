import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PulledRepositories } from './pulled-repositories.js';

test('repositories written down before a pull outlive the agent, once each, and can be forgotten', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'paz-pulled-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'data', 'pulled-repositories.json');
  let now = 1_000;
  const a = new PulledRepositories(file, () => now);
  a.note('127.0.0.1:5000/paz/hello:1');
  now = 2_000;
  a.note('127.0.0.1:5000/paz/hello@sha256:' + '1'.repeat(64)); // the same repository: not written again
  a.note('busybox');
  a.note('/usr/bin/not an image reference');
  assert.deepEqual([...a.known()], [['127.0.0.1:5000/paz/hello', 1_000], ['docker.io/library/busybox', 2_000]]);

  // the next agent on this data dir knows them
  const b = new PulledRepositories(file);
  assert.deepEqual([...b.known()], [...a.known()]);
  b.forget(['docker.io/library/busybox', 'never/noted']);
  assert.deepEqual([...new PulledRepositories(file).known()], [['127.0.0.1:5000/paz/hello', 1_000]]);
});

test('a file that cannot be read starts the record afresh; one that cannot be written is retried at the next pull', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'paz-pulled-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'pulled-repositories.json');
  writeFileSync(file, '{ not json');
  const r = new PulledRepositories(file);
  assert.equal(r.known().size, 0);
  r.note('127.0.0.1:5000/paz/hello:1');
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { repositories: { '127.0.0.1:5000/paz/hello': r.known().get('127.0.0.1:5000/paz/hello') } });

  // a directory that refuses writes (root ignores modes, so a path under a regular file stands in for it)
  const blocked = new PulledRepositories(join(file, 'under-a-file.json'));
  assert.throws(() => blocked.note('127.0.0.1:5000/paz/other:1'));
  assert.equal(blocked.known().size, 0, 'not taken as written down');
});
