import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLUSTER_TOKEN_FILE, loadClusterToken } from './cluster-token.js';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'paz-cluster-token-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a server makes the token file once (mode 0600) and reads it back on the next start', () => {
  withDir((dir) => {
    const first = loadClusterToken({ dataDir: dir, create: true });
    const file = join(dir, CLUSTER_TOKEN_FILE);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file, 'utf8').trim(), first);
    assert.equal(loadClusterToken({ dataDir: dir, create: true }), first);
    // an agent on the same data dir (paz up's host) reads the same file
    assert.equal(loadClusterToken({ dataDir: dir, create: false }), first);
  });
});

test('a given token wins over the file and is checked', () => {
  withDir((dir) => {
    loadClusterToken({ dataDir: dir, create: true });
    assert.equal(loadClusterToken({ dataDir: dir, given: 'given-token-0123456789', create: true }), 'given-token-0123456789');
    assert.throws(() => loadClusterToken({ dataDir: dir, given: 'short', create: true }), /--cluster-token \(PAZ_CLUSTER_TOKEN\): a cluster token has at least 16/);
  });
});

test('an agent without a token refuses, saying where to get one, and makes no file', () => {
  withDir((dir) => {
    assert.throws(() => loadClusterToken({ dataDir: dir, create: false }), /cat DATA_DIR\/cluster-token` on a Paz server.*--cluster-token or PAZ_CLUSTER_TOKEN/);
    assert.throws(() => statSync(join(dir, CLUSTER_TOKEN_FILE)));
  });
});

test('a damaged token file is named in the error', () => {
  withDir((dir) => {
    writeFileSync(join(dir, CLUSTER_TOKEN_FILE), 'x\n');
    assert.throws(() => loadClusterToken({ dataDir: dir, create: true }), new RegExp(`${CLUSTER_TOKEN_FILE}: a cluster token has at least`));
  });
});
