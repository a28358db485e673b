// test-lane: light
/**
 * The test environment's teardown removes the sockets containerd's shims leave in /run/containerd/s when they
 * are killed (scripts/lib/dead-sockets.mjs): a socket whose listener was SIGKILLed is removed, one that a live
 * process listens on stays, and so does anything that is not a socket.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './helpers/paz-server.js';
import { tmpDir } from './helpers/env.js';

const { removeDeadSockets } = (await import(pathToFileURL(join(repoRoot, 'scripts', 'lib', 'dead-sockets.mjs')).href)) as { removeDeadSockets(dir: string): Promise<string[]> };

test('a killed listener\'s socket is removed; a live one and other files stay', async () => {
  const dir = tmpDir('paz-dead-sockets-');
  const live = createServer();
  try {
    // a process that listens, then dies by SIGKILL (as a shim the teardown stopped): its socket file stays
    const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(join(dir, 'dead'))}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => child.stdout!.once('data', resolve));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve) => live.listen(join(dir, 'live'), resolve));
    writeFileSync(join(dir, 'file'), 'not a socket');
    assert.deepEqual(readdirSync(dir).sort(), ['dead', 'file', 'live']);
    assert.deepEqual(await removeDeadSockets(dir), ['dead']);
    assert.deepEqual(readdirSync(dir).sort(), ['file', 'live']);
    assert.deepEqual(await removeDeadSockets(join(dir, 'missing')), [], 'no directory: nothing to do');
  } finally {
    live.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
