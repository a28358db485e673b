// test-lane: light
/**
 * The test environment's teardown removes the goroutine dumps containerd leaves in /tmp
 * (scripts/lib/stack-dumps.mjs): a dump written since the environment started by a containerd that is gone is
 * removed; a live process's dump, an older dump and other files stay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './helpers/paz-server.js';
import { tmpDir } from './helpers/env.js';

const { removeStackDumps } = (await import(pathToFileURL(join(repoRoot, 'scripts', 'lib', 'stack-dumps.mjs')).href)) as {
  removeStackDumps(dir: string, sinceMs: number, isAlive: (pid: number) => boolean): string[];
};
const { isAlive } = (await import(pathToFileURL(join(repoRoot, 'scripts', 'lib', 'processes.mjs')).href)) as { isAlive(pid: number): boolean };

test("a gone containerd's recent dump is removed; a live one's, an older one and other files stay", () => {
  const dir = tmpDir('paz-stack-dumps-');
  try {
    // the PID of a process that has exited
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    const since = Date.now() - 1000;
    writeFileSync(join(dir, `containerd.${gone}.stacks.log`), 'goroutine 1 [running]:');
    writeFileSync(join(dir, `containerd.${process.pid}.stacks.log`), 'a live daemon');
    const old = `containerd.${gone + 1_000_000}.stacks.log`;
    writeFileSync(join(dir, old), 'from before the run');
    utimesSync(join(dir, old), new Date(since - 60_000), new Date(since - 60_000));
    writeFileSync(join(dir, `dockerd.${gone}.stacks.log`), 'not containerd');
    assert.deepEqual(removeStackDumps(dir, since, isAlive), [`containerd.${gone}.stacks.log`]);
    assert.deepEqual(readdirSync(dir).sort(), [`containerd.${process.pid}.stacks.log`, old, `dockerd.${gone}.stacks.log`].sort());
    assert.deepEqual(removeStackDumps(join(dir, 'missing'), since, isAlive), [], 'no such dir: nothing');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
