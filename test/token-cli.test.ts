// API tokens through the CLI: `paz up` writes the first admin token (0600) where the CLI finds it, so the
// CLI works with no flags; `paz token create|ls|revoke`; a revoked token stops working; only hashes are
// stored; the last admin token cannot be revoked; a restart never makes a second admin token silently.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, statSync, unlinkSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PazProcess, pazBin, request } from './helpers/paz-server.js';
import { tmpDir } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';

const execFileP = promisify(execFile);

/** Runs the paz CLI with only environment variables, as a user on the host would; never throws. */
async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PAZ_'))) as Record<string, string>;
  return execFileP(process.execPath, [pazBin, ...args], { env: { ...clean, ...env }, timeout: 30_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout: string; stderr: string }) => ({ code: e.code ?? -1, stdout: e.stdout, stderr: e.stderr }),
  );
}

describe('paz token create|ls|revoke, and the admin token of the first start', () => {
  const paz = new PazProcess({ role: 'up', auth: true, extraArgs: ['--no-agent'] });
  before(() => paz.start());
  after(() => paz.close());

  it('writes the admin token, mode 0600, and the CLI works with no flags', async () => {
    const file = join(paz.dataDir, 'admin-token');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(paz.token, /^paz_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    assert.match(paz.output, /admin token written to .*admin-token/);
    const ls = await cli(['services'], paz.cliEnv);
    assert.equal(ls.code, 0, ls.stderr);
    assert.equal(ls.stdout, '', 'no services: no lone table header');
    assert.match(ls.stderr, /no services yet: create one with `paz create FILE`/);
  });

  it('makes, lists and revokes tokens; a revoked token is refused within about a second', async () => {
    const made = await cli(['token', 'create', 'ci', '--role', 'deployer'], paz.cliEnv);
    assert.equal(made.code, 0, made.stderr);
    const ci = made.stdout.trim();
    assert.match(ci, /^paz_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    assert.match(made.stderr, /shown only this once/);

    const ls = await cli(['token', 'ls'], paz.cliEnv);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^ID +NAME +ROLE/);
    assert.match(ls.stdout, /admin +admin/);
    assert.match(ls.stdout, /ci +deployer .* admin$/m, 'made by the admin token');
    const api = await request('GET', `${paz.orchestrator}/auth/tokens`, undefined, paz.authHeaders());
    const text = JSON.stringify(api.body);
    assert.ok(!text.includes(ci) && !text.includes(paz.token) && !/hash/.test(text), 'the list never shows tokens or hashes');

    // the new token works, as the CLI's PAZ_TOKEN too
    const created = await cli(['create', '{"name":"by-ci","dockerRepository":"team/by-ci"}'], { ...paz.cliEnv, PAZ_TOKEN: ci });
    assert.equal(created.code, 0, created.stderr);
    // a deployer cannot manage tokens
    const denied = await cli(['token', 'ls'], { ...paz.cliEnv, PAZ_TOKEN: ci });
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /needs the role admin/);

    const revoked = await cli(['token', 'revoke', 'ci'], paz.cliEnv);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, /revoked token "ci"/);
    await waitFor('the revoked token to be refused', async () => (await request('GET', `${paz.orchestrator}/services`, undefined, paz.authHeaders(ci))).status === 401, 10_000, 100);
    const after = await cli(['services'], { ...paz.cliEnv, PAZ_TOKEN: ci });
    assert.equal(after.code, 1);
    assert.match(after.stderr, /not valid/);
    assert.match(after.stderr, /PAZ_TOKEN/, 'the CLI says which token it sent');
  });

  it('refuses a second token of the same name, bad names and bad roles, with what to fix', async () => {
    const dup = await cli(['token', 'create', 'admin', '--role', 'read-only'], paz.cliEnv);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /a token named "admin" exists/);
    const badName = await request('POST', `${paz.orchestrator}/auth/tokens`, { name: 'Not Ok', role: 'admin' }, paz.authHeaders());
    assert.equal(badName.status, 400);
    const badRole = await cli(['token', 'create', 'x', '--role', 'root'], paz.cliEnv);
    assert.equal(badRole.code, 2, 'a bad --role is a usage error');
    assert.match(badRole.stderr, /--role admin\|deployer\|read-only/);
  });

  it('keeps the last admin token, saying why', async () => {
    const last = await cli(['token', 'revoke', 'admin'], paz.cliEnv);
    assert.equal(last.code, 1);
    assert.match(last.stderr, /last admin token/);
    assert.match(last.stderr, /Create another admin token first/);
    // with a second admin, the first can go
    const other = (await cli(['token', 'create', 'ops', '--role', 'admin'], paz.cliEnv)).stdout.trim();
    const gone = await cli(['token', 'revoke', 'admin'], paz.cliEnv);
    assert.equal(gone.code, 0, gone.stderr);
    await waitFor('the revoked admin token to be refused', async () => (await request('GET', `${paz.orchestrator}/services`, undefined, paz.authHeaders())).status === 401, 10_000, 100);
    paz.token = other;
    assert.equal((await cli(['token', 'revoke', 'ops'], { ...paz.cliEnv, PAZ_TOKEN: other })).code, 1, 'ops is the last admin now');
  });

  it('stores only hashes', () => {
    const db = readFileSync(join(paz.dataDir, 'paz.db')).toString('latin1') + (existsSync(join(paz.dataDir, 'paz.db-wal')) ? readFileSync(join(paz.dataDir, 'paz.db-wal')).toString('latin1') : '');
    assert.ok(db.includes('/paz/auth/tokens/'), 'the token records are in this file');
    assert.ok(!db.includes(paz.token.slice(-43)), 'no token secret in the store');
  });

  it('without a token the CLI says where it looked', async () => {
    const empty = tmpDir('paz-no-token-');
    const r = await cli(['services'], { PAZ_URL: paz.orchestrator, PAZ_DATA_DIR: empty });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /needs an API token/);
    assert.match(r.stderr, new RegExp(`no ${join(empty, 'admin-token').replace(/[/.]/g, '\\$&')}`));
  });

  it('a restart whose store has admin tokens makes no new one when the file is gone, and says how to get one', async () => {
    unlinkSync(join(paz.dataDir, 'admin-token'));
    await paz.stop();
    paz.output = '';
    await paz.start();
    assert.equal(existsSync(join(paz.dataDir, 'admin-token')), false, 'no admin token made silently');
    assert.match(paz.output, /store already has admin tokens, but .*admin-token is missing/);
    assert.equal((await request('GET', `${paz.orchestrator}/services`, undefined, paz.authHeaders(paz.token))).status, 200, 'the remaining admin token works');
  });
});
