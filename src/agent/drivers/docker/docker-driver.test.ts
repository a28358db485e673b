/**
 * The driver's behaviour when the daemon is missing or wedged; needs no Docker. (Everything else is
 * tested against a real dockerd in test/docker-driver.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DriverError } from '../driver.js';
import { DockerDriver } from './docker-driver.js';

const dir = mkdtempSync(join(tmpdir(), 'paz-docker-driver-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function rejectsWith(promise: Promise<unknown>, code: DriverError['code'], message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof DriverError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

test('no socket: every call fails with DAEMON_UNREACHABLE naming the socket', async () => {
  const socket = join(dir, 'absent.sock');
  const driver = new DockerDriver({ dockerHost: `unix://${socket}` });
  await rejectsWith(driver.ping(), 'DAEMON_UNREACHABLE', new RegExp(socket));
  await rejectsWith(driver.inspect('u-1-1'), 'DAEMON_UNREACHABLE', /ENOENT/);
  await rejectsWith(driver.list(), 'DAEMON_UNREACHABLE', /ENOENT/);
  await rejectsWith(driver.pull('127.0.0.1:5000/paz/hello:1'), 'DAEMON_UNREACHABLE', /ENOENT/);
});

test('a daemon that accepts and never answers: calls fail after requestTimeoutMs', async () => {
  // stands in for a wedged dockerd, which cannot be produced safely on demand
  const socket = join(dir, 'silent.sock');
  const held: Socket[] = [];
  const server = createServer((conn) => held.push(conn));
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  try {
    const driver = new DockerDriver({ dockerHost: `unix://${socket}`, requestTimeoutMs: 300 });
    await rejectsWith(driver.inspect('u-1-1'), 'DAEMON_UNREACHABLE', /inspect u-1-1: the Docker daemon did not answer in time/);
    await rejectsWith(driver.stop('u-1-1', 0), 'DAEMON_UNREACHABLE', /did not answer in time/);
  } finally {
    for (const conn of held) conn.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});
