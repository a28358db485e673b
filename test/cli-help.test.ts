// Every command's --help, walked from the CLI's own command table (so a command added without help fails
// here): exit 0, on stdout, with at least one example that runs that command. `paz help CMD` says the same.
// test-lane: normal
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { commandTable } from '../src/cli/main.js';
import { pazBin } from './helpers/paz-server.js';

const run = (args: string[]) => spawnSync(process.execPath, [pazBin, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, PAZ_URL: 'http://127.0.0.1:1' } });

describe('--help on every command', () => {
  const table = commandTable();
  const names = Object.keys(table).filter((c) => !table[c].hidden);

  it('the table holds the commands (so the walk below walks something)', () => {
    for (const c of ['up', 'services', 'config', 'deploy', 'units', 'ps', 'token', 'host', 'backup', 'completion']) assert.ok(names.includes(c), c);
  });

  it('paz alone: the usage on stderr, exit 2; paz --help and paz -h: on stdout, exit 0', () => {
    const bare = run([]);
    assert.equal(bare.status, 2);
    assert.equal(bare.stdout, '');
    assert.match(bare.stderr, /^paz \S+: run Docker services/);
    for (const flag of ['--help', '-h', 'help']) {
      const r = run([flag]);
      assert.equal(r.status, 0, flag);
      assert.equal(r.stdout, bare.stderr, flag);
    }
    assert.match(run(['--version']).stdout, /^\d+\.\d+\.\d+\n$/);
  });

  for (const cmd of names) {
    it(`paz ${cmd} --help: exit 0, with an example of paz ${cmd}`, () => {
      const r = run([cmd, '--help']);
      assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
      assert.equal(r.stderr, '');
      const at = r.stdout.search(/^\s*examples?:/im);
      assert.ok(at >= 0, `no examples in:\n${r.stdout}`);
      assert.match(r.stdout.slice(at), new RegExp(`\\bpaz ${cmd}\\b`), `no example of paz ${cmd}:\n${r.stdout}`);
      assert.equal(run(['help', cmd]).stdout, r.stdout, 'paz help CMD is paz CMD --help');
      assert.equal(run(['-h', cmd]).stdout, r.stdout, 'paz -h CMD is paz CMD -h');
    });
  }
});
