// Structural, not timed: a client command loads only the CLI and client modules, never a role's dependencies
// (etcd3 and gRPC, dockerode, Fastify and swagger, SQLite) nor the server-side code. A module loader hook in
// the child records every module it resolves.
// test-lane: normal
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeModuleRecorder } from './helpers/module-recorder.js';
import { pazBin } from './helpers/paz-server.js';

const SERVER_ONLY = /node_modules\/(etcd3|@grpc|dockerode|docker-modem|fastify|@fastify|better-sqlite3|pino|prom-client)\/|dist\/src\/(roles|agent|api|store|state|router)\//;

describe('client commands load no server modules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paz-lazy-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const hook = writeModuleRecorder(dir);

  /** The modules `paz ARGS` resolved (Paz unreachable: the commands still load everything they use). */
  function modulesOf(args: string[]): string[] {
    const out = join(dir, `modules-${args.join('-').replace(/[^a-z_-]/gi, '')}.txt`);
    writeFileSync(out, '');
    const r = spawnSync(process.execPath, ['--import', hook, pazBin, ...args], {
      env: { ...process.env, PAZ_TEST_MODULES: out, PAZ_URL: 'http://127.0.0.1:1', PAZ_CONFIG: join(dir, 'config.json'), PAZ_DATA_DIR: dir },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.notEqual(r.status, null, `paz ${args.join(' ')} ended: ${r.stderr}`);
    return readFileSync(out, 'utf8').split('\n').filter(Boolean);
  }

  it('the hook sees what a role loads (so the check below can fail)', () => {
    const mods = modulesOf(['docs', '--out', join(dir, 'openapi.json')]);
    assert.ok(mods.some((m) => SERVER_ONLY.test(m)), 'paz docs loads Fastify');
  });

  for (const args of [['services', '--json'], ['units'], ['hosts'], ['health'], ['config', 'web'], ['config', 'diff', 'web'], ['secret', 'ls', 'web'], ['token', 'ls'], ['registry', 'ls'], ['events'], ['logs', 'web-1'], ['journal'], ['profile', 'ls'], ['completion', 'bash'], ['__complete', 'deploy', ''], ['__complete', 'config', 'set', 'web', 'env.'], ['--help'], ['--json', 'units', 'web'], ['--profile', 'p', 'services']]) {
    it(`paz ${args.join(' ')}`, () => {
      const mods = modulesOf(args);
      assert.ok(mods.some((m) => m.endsWith('/dist/src/cli/main.js')), 'the hook recorded the CLI');
      assert.deepEqual(mods.filter((m) => SERVER_ONLY.test(m)), []);
    });
  }
});
