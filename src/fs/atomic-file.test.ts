// writeFileAtomic: whole files or none, the mode asked whatever the umask, no temp file left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

test('replaces the file whole, durable or not, and leaves nothing beside it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'paz-atomic-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'state.json');
  writeFileAtomic(path, 'first\n');
  writeFileAtomic(path, 'x'.repeat(300_000), { durable: true });
  assert.equal(readFileSync(path, 'utf8'), 'x'.repeat(300_000));
  assert.deepEqual(readdirSync(dir), ['state.json']);
});

test('the mode asked is the mode the file has, whatever the umask', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'paz-atomic-'));
  const old = process.umask(0o077);
  t.after(() => {
    process.umask(old);
    rmSync(dir, { recursive: true, force: true });
  });
  const path = join(dir, 'profiles.json');
  writeFileAtomic(path, '{}\n', { mode: 0o644 });
  assert.equal(statSync(path).mode & 0o777, 0o644);
  writeFileAtomic(path, '{}\n', { mode: 0o600, durable: true });
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

test('a write that cannot be put in place throws, removes its temp file, and leaves what was there', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'paz-atomic-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // a directory (not empty) where the file should go: the rename fails after the temp file was written
  const path = join(dir, 'taken');
  mkdirSync(path);
  writeFileSync(join(path, 'inside'), 'kept');
  assert.throws(() => writeFileAtomic(path, 'new', { durable: true }), /EISDIR|ENOTEMPTY|EEXIST/);
  assert.deepEqual(readdirSync(dir), ['taken']);
  assert.equal(readFileSync(join(path, 'inside'), 'utf8'), 'kept');
  // no directory at all: the error says so, nothing is made
  assert.throws(() => writeFileAtomic(join(dir, 'missing', 'f'), 'x'), /ENOENT/);
  assert.deepEqual(readdirSync(dir), ['taken']);
});
