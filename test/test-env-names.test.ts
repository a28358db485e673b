// The names of the runner's test environments (scripts/lib/test-env.mjs), which its reaper reads back: after a
// runner killed with -9, the next run finds the namespaces, cgroups and temp dirs it left by their names, and
// removes them once that runner's PID is gone. It must know every name an environment gets (slot 0 and 1) and
// no other: the runner's own log dir (`paz-test-logs-<pid>`), which is kept for CI, and other tools' dirs.
// test-lane: light
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './helpers/paz-server.js';

interface EnvNames {
  netns: string;
  cgroup: string;
  tmpPrefix: string;
}
type EnvId = { id: number; slot: number } | undefined;
const env = (await import(pathToFileURL(join(repoRoot, 'scripts', 'lib', 'test-env.mjs')).href)) as {
  environmentNames(id: number, slot?: number): EnvNames;
  parseEnvironmentName(name: string, kind: 'netns' | 'tmp'): EnvId;
};

describe('test environment names', () => {
  it('every name an environment gets is read back as that environment, in either slot', () => {
    for (const [id, slot] of [[4242, 0], [4242, 1], [7, 1], [4194304, 0]]) {
      const names = env.environmentNames(id, slot);
      assert.deepEqual(env.parseEnvironmentName(names.netns, 'netns'), { id, slot }, names.netns);
      assert.deepEqual(env.parseEnvironmentName(names.cgroup, 'netns'), { id, slot }, names.cgroup);
      // a temp dir as mkdtemp makes it
      const dir = mkdtempSync(join(tmpdir(), names.tmpPrefix));
      try {
        assert.deepEqual(env.parseEnvironmentName(basename(dir), 'tmp'), { id, slot }, basename(dir));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    assert.notEqual(env.environmentNames(42, 0).netns, env.environmentNames(42, 1).netns, 'the two slots of one runner differ');
  });

  it('other names are not an environment: the runner keeps its logs, and other tools their dirs', () => {
    for (const [name, kind] of [
      ['paz-test-logs-4242', 'tmp'],
      ['paz-test-logs-4242', 'netns'],
      ['paz-test-logs-4242-s1', 'netns'],
      ['paz-test-4242-s1-extra', 'netns'],
      ['paz-test-abc', 'netns'],
      ['paz-test-', 'netns'],
      ['paz-e2e-test-4242', 'netns'],
      ['paz-testenv-4242-AbC12', 'tmp'],
      ['paz-testenv-4242-s1-AbC12', 'tmp'],
      ['paz-testenv-4242-AbC12x-more', 'tmp'],
      ['paz-test-4242', 'tmp'],
      ['tmp.LvuMEhDWDA', 'tmp'],
    ] as const) {
      assert.equal(env.parseEnvironmentName(name, kind), undefined, `${name} (${kind})`);
    }
  });
});
