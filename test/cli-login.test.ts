// `paz login` and named profiles against two real `paz up` servers with tokens on: login checks the token
// before saving (a bad one is refused, exit 1, nothing saved), the profile file is 0600, switching profiles
// switches servers, and the precedence --url/--token > --profile > PAZ_URL/PAZ_TOKEN > PAZ_PROFILE > current.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { PazProcess, pazBin, request, runPaz } from './helpers/paz-server.js';
import { waitFor } from './helpers/wait.js';

describe('paz login and profiles', () => {
  const a = new PazProcess({ role: 'up', auth: true, extraArgs: ['--no-agent'] });
  const b = new PazProcess({ role: 'up', auth: true, extraArgs: ['--no-agent'] });
  const dir = mkdtempSync(join(tmpdir(), 'paz-login-test-'));
  const config = join(dir, 'conf', 'paz', 'config.json');
  /** a user's shell with no Paz variables but the profile file: no PAZ_URL, no token, no admin-token file */
  const env = { PAZ_CONFIG: config, PAZ_URL: '', PAZ_TOKEN: '', PAZ_PROFILE: '', PAZ_DATA_DIR: join(dir, 'no-data-dir') };
  const paz = (args: string[], input = '', extra: Record<string, string> = {}) => runPaz(args, input, { ...env, ...extra });
  const names = async (args: string[] = [], extra: Record<string, string> = {}) => {
    const r = await paz(['services', '--json', ...args], '', extra);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as Array<{ name: string }>).map((s) => s.name);
  };
  const mode = (path: string) => statSync(path).mode & 0o777;
  let deployerToken = '';

  before(async () => {
    await Promise.all([a.start(), b.start()]);
    for (const [p, name] of [[a, 'svc-on-a'], [b, 'svc-on-b']] as const) {
      const r = await request('POST', `${p.orchestrator}/services`, { name, dockerRepository: '127.0.0.1:5000/paz/hello' }, p.authHeaders());
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const t = await request('POST', `${b.orchestrator}/auth/tokens`, { name: 'laptop', role: 'deployer' }, b.authHeaders());
    assert.equal(t.status, 201, JSON.stringify(t.body));
    deployerToken = t.body.token;
  });
  after(async () => {
    await Promise.all([a.close(), b.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('without a profile or token the CLI is refused and says how to log in', async () => {
    const r = await paz(['services', '--url', a.orchestrator]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /paz login/);
  });

  it('a bad token is refused with exit 1 and nothing is saved', async () => {
    const r = await paz(['login', a.orchestrator, '--profile', 'a', '--token-stdin'], 'not-a-token\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`${a.orchestrator} refused the token; nothing saved`));
    assert.equal(existsSync(config), false, 'no profile file was written');
  });

  it('login checks the token, says who it is, and saves a working profile in a 0600 file', async () => {
    const r = await paz(['login', a.orchestrator, '--profile', 'a', '--token-stdin'], `${a.token}\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `logged in to ${a.orchestrator} as admin (role admin)`);
    assert.match(r.stderr, /profile a saved in .* and made current/);
    assert.equal(mode(config), 0o600);
    assert.equal(mode(dirname(config)), 0o700);
    assert.deepEqual(JSON.parse(readFileSync(config, 'utf8')), { profiles: { a: { url: a.orchestrator, token: a.token } }, current: 'a' });
    assert.deepEqual(await names(), ['svc-on-a']);
  });

  it('a second login makes its profile current: the same command now talks to the other server', async () => {
    const r = await paz(['login', b.orchestrator.replace('http://', ''), '--profile', 'b', '--token-stdin'], deployerToken);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `logged in to ${b.orchestrator} as laptop (role deployer)`);
    assert.match(r.stderr, /made current \(was a\)/);
    assert.equal(mode(config), 0o600);
    assert.deepEqual(await names(), ['svc-on-b']);
    const ls = await paz(['profile', 'ls']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^CURRENT\s+NAME\s+URL\s+TOKEN\n\s+a\s+\S+\s+yes\n\*\s+b\s+\S+\s+yes\n$/);
    assert.doesNotMatch(ls.stdout + (await paz(['profile', 'ls', '--json'])).stdout, new RegExp(deployerToken), 'tokens are never shown');
  });

  it('profile use switches servers; --profile and PAZ_PROFILE pick one for a command', async () => {
    assert.equal((await paz(['profile', 'use', 'a'])).code, 0);
    assert.deepEqual(await names(), ['svc-on-a']);
    assert.deepEqual(await names(['--profile', 'b']), ['svc-on-b']);
    assert.deepEqual(await names([], { PAZ_PROFILE: 'b' }), ['svc-on-b']);
    assert.deepEqual(await names(['--profile', 'a'], { PAZ_PROFILE: 'b' }), ['svc-on-a'], 'the flag beats the variable');
  });

  it('--profile, --url, --token and --json work before the command too (kubectl style), the same as after it', async () => {
    const listed = async (args: string[]) => {
      const r = await paz(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return (JSON.parse(r.stdout) as Array<{ name?: string; service?: string }>).map((s) => s.name ?? s.service);
    };
    assert.deepEqual(await listed(['--profile', 'b', '--json', 'services']), ['svc-on-b']);
    assert.deepEqual(await listed(['--json', '--profile=a', 'services']), ['svc-on-a']);
    assert.deepEqual(await listed(['--url', b.orchestrator, '--token', deployerToken, 'services', '--json']), ['svc-on-b']);
    assert.deepEqual(await listed(['--url', b.orchestrator, '--token', deployerToken, '--json', 'units', 'svc-on-b']), [], 'units of a service never deployed');
    const table = await paz(['--profile', 'b', 'services']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^NAME\s+IMAGE.*\nsvc-on-b\s/);
    const typo = await paz(['--profil', 'b', 'services']);
    assert.equal(typo.code, 2);
    assert.equal(typo.stderr.trim(), 'paz: unknown option --profil before the command (did you mean --profile?); see paz --help');
    const help = await paz(['-h']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^paz \S+: run Docker services/);
    assert.match((await paz(['--help', 'deploy'])).stdout, /Examples?:\n {2}paz deploy /);
    assert.match((await paz(['--version'])).stdout, /^\d+\.\d+\.\d+/);
    const noCommand = await paz(['--profile', 'b']);
    assert.equal(noCommand.code, 2);
    assert.match(noCommand.stderr, /name a command after the options/);
    const notTaken = await paz(['--json', 'delete', 'svc-on-b', '--profile', 'b']);
    assert.equal(notTaken.code, 2, 'a global option the command does not take is its usage error, as after it');
    assert.match(notTaken.stderr, /unknown option --json for paz delete/);
  });

  it('PAZ_URL and --url beat the current profile, --profile beats PAZ_URL, and the profile token is never sent to another server', async () => {
    // current profile a; PAZ_URL points at b: a's admin token must not go to b
    const r = await paz(['services'], '', { PAZ_URL: b.orchestrator });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /needs an API token|not valid/);
    assert.deepEqual(await names(['--token', deployerToken], { PAZ_URL: b.orchestrator }), ['svc-on-b']);
    assert.deepEqual(await names([], { PAZ_URL: b.orchestrator, PAZ_TOKEN: deployerToken }), ['svc-on-b']);
    assert.deepEqual(await names(['--url', a.orchestrator], { PAZ_URL: b.orchestrator, PAZ_TOKEN: a.token }), ['svc-on-a'], '--url beats PAZ_URL');
    assert.deepEqual(await names(['--profile', 'a'], { PAZ_URL: b.orchestrator, PAZ_TOKEN: deployerToken }), ['svc-on-a'], 'a profile named on the command line beats PAZ_URL');
  });

  it('at a terminal, login asks for the token without echoing it', async (t) => {
    if (spawnSync('script', ['--version']).error) return t.skip('script (util-linux) is not installed');
    // script(1) gives paz a pseudo-terminal, as a user's shell would
    const cmd = `'${process.execPath}' '${pazBin}' login ${a.orchestrator} --profile typed`;
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await waitFor('the prompt', async () => out.includes(`API token for ${a.orchestrator}: `) || child.exitCode !== null, 20_000, 50);
      child.stdin!.write(`${a.token}\r`);
      assert.equal(await exited, 0, out);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    assert.match(out, /logged in to .* as admin \(role admin\)/);
    assert.ok(!out.includes(a.token), 'the token was not echoed');
    assert.equal(JSON.parse(readFileSync(config, 'utf8')).profiles.typed.token, a.token);
    assert.equal((await paz(['profile', 'rm', 'typed'])).code, 0);
    assert.equal((await paz(['profile', 'use', 'a'])).code, 0);
  });

  it('an unknown profile fails with exit 1 and the nearest name; rm forgets a profile', async () => {
    const typo = await paz(['services', '--profile', 'bb']);
    assert.equal(typo.code, 1);
    assert.match(typo.stderr, /no profile named bb \(did you mean b\?\).*paz login URL --profile bb/);
    assert.equal((await paz(['profile', 'use', 'c'])).code, 1);
    const rm = await paz(['profile', 'rm', 'b']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(config, 'utf8')).profiles), ['a']);
    assert.equal(mode(config), 0o600);
    assert.equal((await paz(['services', '--profile', 'b'])).code, 1);
    assert.equal((await paz(['profile', 'frob'])).code, 2);
  });

  it('a broken profile file is named, with exit 1', async () => {
    const r = await paz(['services'], '', { PAZ_CONFIG: join(dir, 'nope', '..', 'conf', 'paz', 'config.json') });
    assert.equal(r.code, 0, 'the same file through another path still works');
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"profiles": ');
    const bad = await paz(['services'], '', { PAZ_CONFIG: broken });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, new RegExp(`${broken} is not valid JSON`));
  });
});
