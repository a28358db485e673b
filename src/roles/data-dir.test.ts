import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { makePrivateDataDir } from './data-dir.js';

const base = mkdtempSync(join(tmpdir(), 'paz-data-dir-'));
after(() => rmSync(base, { recursive: true, force: true }));
const mode = (d: string) => statSync(d).mode & 0o7777;

test('a new data dir is made 0700; an open one of ours is closed', () => {
  const fresh = join(base, 'new', 'paz');
  makePrivateDataDir(fresh);
  assert.equal(mode(fresh), 0o700);
  const open = join(base, 'open');
  mkdirSync(open);
  chmodSync(open, 0o755);
  makePrivateDataDir(open);
  assert.equal(mode(open), 0o700);
});

test('a shared directory (world-writable, sticky, like /tmp) is refused and left as it is', () => {
  const shared = join(base, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  assert.throws(() => makePrivateDataDir(shared), /shared directory .*a directory of its own/);
  assert.equal(mode(shared), 0o1777);
});
