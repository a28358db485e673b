// Where Paz listens: loopback unless told otherwise; --no-auth (PAZ_AUTH=off) refused on any other
// address, with a message saying why and what to do; a non-loopback bind with auth on is allowed.
// test-lane: normal
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PazProcess, freePort, pazBin, request } from './helpers/paz-server.js';
import { tmpDir } from './helpers/env.js';
import { startControlPlane } from '../src/roles/control-plane.js';
import { openStore } from '../src/store/index.js';
import { createLogger } from '../src/roles/logger.js';
import { parseProcNetTcp, TCP_LISTEN } from '../src/router/port-holders-parse.js';
import { waitFor } from './helpers/wait.js';

const run = promisify(execFile);

async function refused(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string; dataDir: string }> {
  const dataDir = join(tmpDir('paz-listen-'), 'data');
  const ports = [await freePort(), await freePort(), await freePort()];
  const all = [pazBin, ...args, '--data-dir', dataDir, '--orchestrator-port', String(ports[0]), '--directory-port', String(ports[1]), '--scheduler-port', String(ports[2]), '--agent-port', '0', '--no-router'];
  const err = await run(process.execPath, all, { timeout: 30_000, env: { ...process.env, ...env } }).then(
    (r) => assert.fail(`paz ${args.join(' ')} started without auth on a non-loopback address: ${r.stderr}`),
    (e: { code?: number; stderr: string }) => e,
  );
  return { code: err.code ?? -1, stderr: err.stderr, dataDir };
}

describe('where Paz listens', () => {
  it('refuses --no-auth on a non-loopback address, saying why and what to do, before touching anything', async () => {
    for (const [args, env, flag] of [
      [['server', '--no-auth', '--bind', '0.0.0.0'], {}, '--bind 0.0.0.0'],
      [['server', '--bind', '0.0.0.0'], { PAZ_AUTH: 'off' }, '--bind 0.0.0.0'],
      [['up', '--no-auth', '--agent-bind', '0.0.0.0', '--driver', 'process'], {}, '--agent-bind 0.0.0.0'],
      [['agent', '--no-auth', '--agent-bind', '::', '--driver', 'process'], {}, '--agent-bind ::'],
    ] as const) {
      const r = await refused([...args], env);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`refusing to listen on ${flag.replace(/\./g, '\\.')} without authentication`));
      assert.match(r.stderr, /only on loopback/);
      assert.match(r.stderr, /drop --no-auth/);
      assert.equal(existsSync(r.dataDir), false, 'refused before the data dir was made');
    }
  });

  it('runs without auth on loopback, loudly', async () => {
    const paz = new PazProcess({ role: 'server' });
    try {
      await paz.start();
      assert.match(paz.output, /AUTHENTICATION IS OFF/);
      assert.equal((await request('GET', `${paz.orchestrator}/health`)).body.auth, 'off');
      assert.equal((await request('GET', `${paz.orchestrator}/services`)).status, 200);
      assert.equal(existsSync(join(paz.dataDir, 'admin-token')), false, 'no token is made with auth off');
    } finally {
      await paz.close();
    }
  });

  it('listens on a non-loopback address with auth on (tokens required)', async () => {
    const paz = new PazProcess({ role: 'server', auth: true, extraArgs: ['--bind', '0.0.0.0'] });
    try {
      await paz.start();
      assert.equal((await request('GET', `${paz.orchestrator}/services`)).status, 401);
      assert.equal((await request('GET', `${paz.orchestrator}/services`, undefined, paz.authHeaders())).status, 200);
    } finally {
      await paz.close();
    }
  });

  it('in-process, auth is off by default and refused off loopback', async () => {
    const dir = tmpDir('paz-listen-');
    const store = await openStore(`sqlite:${join(dir, 'paz.db')}`);
    try {
      await assert.rejects(
        startControlPlane({ store, logger: createLogger('silent', 'test'), bind: '0.0.0.0', advertise: '127.0.0.1', ports: { orchestrator: 0, directory: 0, scheduler: 0 } }),
        /refusing to listen on --bind 0\.0\.0\.0 without authentication/,
      );
    } finally {
      await store.close();
    }
  });

  it('listens on loopback when not told otherwise: the APIs and the agent API', async () => {
    const dataDir = tmpDir('paz-listen-');
    const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
    const child = spawn(process.execPath, [pazBin, 'up', '--data-dir', dataDir, '--driver', 'process', '--no-router', '--log-level', 'warn', '--orchestrator-port', String(ports[0]), '--directory-port', String(ports[1]), '--scheduler-port', String(ports[2]), '--agent-port', String(ports[3])], { stdio: 'ignore' });
    try {
      const listeners = await waitFor('paz up listening on its four ports', async () => {
        const entries = [...parseProcNetTcp(readFileSync('/proc/net/tcp', 'utf8')), ...parseProcNetTcp(readFileSync('/proc/net/tcp6', 'utf8'))].filter((e) => e.state === TCP_LISTEN && ports.includes(e.port));
        return new Set(entries.map((e) => e.port)).size === 4 ? entries : undefined;
      }, 30_000);
      for (const l of listeners) assert.equal(l.address, '127.0.0.1', `port ${l.port} listens on ${l.address}`);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    const { stdout } = await run(process.execPath, [pazBin, 'up', '--help']);
    assert.match(stdout, /--bind ADDR .*default 127\.0\.0\.1/);
    assert.match(stdout, /--agent-bind ADDR .*default 127\.0\.0\.1/);
  });
});
