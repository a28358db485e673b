// The CLI's common manners, run as a user would (bin/paz.js) against a real `paz up --no-agent`: exit codes
// (0 done, 1 failed, 2 usage), "did you mean" for commands, options and services, Paz's own words when it
// cannot be reached, and --json output that parses.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PazProcess, freePort, pazBin, request, runPaz } from './helpers/paz-server.js';

describe('paz CLI: exit codes, did you mean, unreachable Paz, --json', () => {
  const paz = new PazProcess({ role: 'up', extraArgs: ['--no-agent'] });
  let url = '';
  before(async () => {
    await paz.start();
    url = paz.orchestrator;
    const created = await request('POST', `${url}/services`, { name: 'hello-web', description: 'cli standards', dockerRepository: '127.0.0.1:5000/paz/hello' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
  after(() => paz.close());

  it('an unknown command is a usage error (exit 2) that suggests the closest command', async () => {
    const r = await runPaz(['servces']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "servces" \(did you mean paz services\?\)/);
    // another tool's word: the Paz command for it, not the closest spelling (`paz version` prints the CLI's version)
    const other = await runPaz(['versions', 'hello-web']);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /unknown command "versions" \(did you mean paz history\?\)/);
  });

  it('an unknown option is exit 2 in Paz words, with the closest option and where the help is', async () => {
    const r = await runPaz(['deploy', 'hello-web', '--tga', '2', '--url', url]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim(), 'paz: unknown option --tga (did you mean --tag?) for paz deploy; see paz deploy --help');
    assert.doesNotMatch(r.stderr, /To specify a positional argument/);
  });

  it('a missing argument or option value is exit 2', async () => {
    assert.equal((await runPaz(['deploy', '--url', url])).code, 2);
    const noValue = await runPaz(['services', '--url']);
    assert.equal(noValue.code, 2);
    assert.match(noValue.stderr, /option --url needs a value for paz services/);
    assert.equal((await runPaz(['scale', 'hello-web', 'many', '--url', url])).code, 2);
  });

  it('a command on an unknown service fails (exit 1) naming the nearest service and how to create one', async () => {
    for (const args of [['service', 'helo-web'], ['units', 'helo-web'], ['history', 'helo-web'], ['health', 'helo-web'], ['secret', 'ls', 'helo-web'], ['deploy', 'helo-web']]) {
      const r = await runPaz([...args, '--url', url]);
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.stdout, '', `${args.join(' ')} printed no table`);
      assert.match(r.stderr, /no service named helo-web \(did you mean hello-web\?\); create it with `paz create FILE`/);
    }
  });

  it('when Paz cannot be reached, every command names the URL and how to start Paz', async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    for (const args of [['services'], ['units'], ['hosts'], ['events'], ['logs', 'x-1'], ['token', 'ls'], ['health']]) {
      const r = await runPaz([...args, '--url', nowhere]);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, new RegExp(`cannot reach ${nowhere}: .*ECONNREFUSED.*Start it with \`paz up\``), args.join(' '));
      assert.doesNotMatch(r.stderr, /fetch failed/);
    }
  });

  it('paz create FILE says which file it cannot read', async () => {
    const r = await runPaz(['create', '/nonexistent/hello.json', '--url', url]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), 'paz: cannot read /nonexistent/hello.json: no such file or directory');
  });

  /** kv and profile do not talk to the API: no --url */
  const urlFor = (cmd: string) => (cmd === 'kv' || cmd === 'profile' ? [] : ['--url', url]);
  const noProfiles = { PAZ_CONFIG: '/nonexistent/paz-cli-standards/config.json' };

  it('mistyped verbs get the nearest one (exit 2); usage errors go to stderr, not stdout', async () => {
    for (const [args, near] of [[['token', 'crate', 'x'], 'paz token create'], [['secret', 'sett', 'hello-web', 'A=1'], 'paz secret set'], [['host', 'drian', 'h1'], 'paz host drain'], [['webhook', 'secrt'], 'paz webhook secret'], [['registry', 'lss'], 'paz registry ls'], [['kv', 'gte', '/paz'], 'paz kv get'], [['profile', 'uze', 'p'], 'paz profile use']] as const) {
      const r = await runPaz([...args, ...urlFor(args[0])], '', noProfiles);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, new RegExp(`\\(did you mean ${near}\\?\\)`), args.join(' '));
      assert.equal(r.stdout, '', args.join(' '));
    }
    for (const args of [['token'], ['secret'], ['registry'], ['profile'], ['kv'], ['webhook']]) {
      const r = await runPaz([...args, ...urlFor(args[0])], '', noProfiles);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stdout, '', `paz ${args.join(' ')}: the usage goes to stderr`);
      assert.notEqual(r.stderr, '');
    }
  });

  it('API errors come in CLI terms, never as HTTP methods and paths', async () => {
    const cases: Array<[string[], RegExp]> = [
      // hello-web was never deployed: its name, which paz logs also takes, is the nearest
      [['logs', 'hello-web-1'], /no unit named "hello-web-1" \(did you mean hello-web\?\): .*, or a service's name for all its units \(`paz units` lists them\)/],
      [['health', '--host', 'nope'], /no host with id "nope" \(`paz hosts` lists them\)/],
      [['host', 'drain', 'nope'], /no host with id "nope" \(`paz hosts` lists them\)/],
      [['rollout', 'hello-web'], /hello-web has not been deployed yet: deploy it with `paz deploy hello-web`/],
      [['create', '{"name":"hello-web","dockerRepository":"x/y"}'], /a service named hello-web already exists: change it with `paz config set hello-web KEY=VALUE`/],
    ];
    for (const [args, message] of cases) {
      const r = await runPaz([...args, '--url', url]);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\b(GET|POST|PATCH|DELETE) \//, args.join(' '));
    }
  });

  it('hostile and mistyped arguments: exit 2 in Paz words, nothing from Node', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['scale', 'hello-web', '-1'], /COUNT must be a whole number of instances from 0 to 1000, got "-1"/],
      [['scale', 'hello-web', '1e3'], /COUNT must be a whole number/],
      [['scale', 'hello-web', '5000'], /from 0 to 1000, got "5000"/],
      [['scale', 'hello-web'], /paz scale needs a COUNT/],
      [['logs', 'hello-web-1', '--tail', 'lots'], /--tail takes a number of lines, got "lots" for paz logs/],
      [['rollback', 'hello-web', '--version', 'abc'], /--version takes a deployed version number/],
      [['deploy', 'hello-web', '--wait', '--detach'], /--wait and --detach contradict each other/],
      [['service', 'hello-web', 'extra'], /unexpected argument extra for paz service/],
      [['delete', 'hello-web', '--json'], /unknown option --json for paz delete/],
      [['services', '--url'], /option --url needs a value/],
      [['--url'], /option --url needs a value/],
      [['--jsn', 'services'], /unknown option --jsn before the command \(did you mean --json\?\)/],
    ];
    for (const [args, message] of cases) {
      const r = await runPaz(args[0] === '--url' || args.includes('--url') ? args : [...args, '--url', url]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /ERR_|TypeError|at .*\.js:\d+|parseArgs/, args.join(' '));
    }
    const bad = await runPaz(['create', '{"name":', '--url', url]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^paz: the JSON given is not a valid service document: not JSON \(/);
    for (const given of ['not a url', 'http://127.0.0.1:99999', 'ftp://paz.example.com']) {
      const r = await runPaz(['services', '--url', given]);
      assert.equal(r.code, 1, given);
      assert.match(r.stderr, /is not (a|an http:\/\/ or https:\/\/) URL .*fix --url, PAZ_URL or the profile's URL/, given);
      assert.doesNotMatch(r.stderr, /Invalid URL|ENOTFOUND/, given);
    }
  });

  it('control characters in what it prints (a server\'s answer or listing, a file\'s bytes, an argument) are spelled out, never sent raw to the terminal', async () => {
    // a server whose errors would clear the screen and set the title, and whose listing carries the same in a cell
    const hostile = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/services/evil') {
        res.end(JSON.stringify({ doc: { name: 'evil', dockerRepository: 'x', config: { numInstances: 1 } } }));
        return;
      }
      if (req.method === 'GET' && req.url === '/services/evil/config/next') {
        res.end(JSON.stringify({ doc: { numInstances: 1, env: { GREETING: 'hi\u001b[2J' } } }));
        return;
      }
      if (req.url === '/services/evil/rollout') {
        res.end(JSON.stringify({ doc: { version: 2, state: 'failed', reason: 'evil-2-1 exited\u001b[2J', strategy: 'recreate', strategyReason: 'port\u001b]0;t\u0007', units: [{ name: 'evil-2-1', state: 'exited', healthy: false, reason: 'bye\u001b[1A' }] } }));
        return;
      }
      if (req.url === '/cluster/hosts') {
        res.end(JSON.stringify([{ ID: 'h1\u001b[2J', Hostname: 'evil' }]));
        return;
      }
      if (req.method === 'POST' && req.url === '/cluster/hosts/h1%1B%5B2J/drain') {
        res.end(JSON.stringify({ host: 'h1\u001b[2J', drained: true, changed: true, drain: { state: 'stuck', remaining: 1, stuck: [{ unit: 'evil-1-1\u001b[1A', reason: 'stuck: no other eligible host (\u001b]0;t\u0007)' }] } }));
        return;
      }
      if (req.method === 'DELETE' && req.url === '/auth/tokens/ci') {
        res.end(JSON.stringify({ doc: { id: 't\u001b[1A', name: 'ci\u001b[2J', role: 'admin' } }));
        return;
      }
      if (req.url === '/services/evil/units/evil-1-1/restart') {
        res.end(JSON.stringify({ doc: { service: 'evil', unit: 'evil-1-1', state: 'stuck', reason: 'its replacement exited\u001b[2J' } }));
        return;
      }
      if (req.url === '/auth/webhook-secret') {
        const shell = 'curl \u001b[2J';
        res.end(JSON.stringify({ doc: { secret: 's\u001b]0;t\u0007', fingerprint: 'f', createdAt: 'now', enforced: true, setup: { signed: { url: 'u\u001b[2J', header: 'h', shell }, dockerhub: { url: 'd' }, registry: { config: 'c\u001b[1A' } } } }));
        return;
      }
      if (req.method === 'PUT' && req.url === '/registries/reg.example') {
        res.end(JSON.stringify({ doc: { host: 'reg\u001b[2J', username: 'u\u001b]0;t\u0007', fingerprint: 'f\u001b[1A', updatedAt: 0 } }));
        return;
      }
      if (req.method === 'PATCH' && req.url === '/services/evil/config/next') {
        res.end(JSON.stringify({ doc: { numInstances: 1, env: { GREETING: 'hi', TOKEN: { secret: true, fingerprint: 'fp\u001b[2J' } } } }));
        return;
      }
      if (req.url === '/auth/whoami') {
        res.end(JSON.stringify({ name: 'ci\u001b[2J', role: 'admin\u001b]0;t\u0007' }));
        return;
      }
      if (req.url === '/services') {
        // and a service without its config (an older or other server): listed, not a TypeError
        res.end(JSON.stringify({ doc: [{ name: 'evil', dockerRepository: 'x', config: { numInstances: 1 }, description: 'fine\u001b[2J\nsecond line' }, { name: 'bare', dockerRepository: 'y' }] }));
        return;
      }
      res.writeHead(404);
      res.end(JSON.stringify({ code: 'PAZ_SERVICE_NOT_FOUND', message: 'gone\u001b[2J\u001b]0;pwned\u0007\rlooks fine', status: 404 }));
    });
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(join(tmpdir(), 'paz-cli-escapes-'));
    try {
      const hostileUrl = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
      const file = join(dir, 'service.json');
      writeFileSync(file, '\u001b[31m{"name": "x"}');
      const listing = await runPaz(['services', '--url', hostileUrl]);
      assert.equal(listing.code, 0, listing.stderr);
      assert.match(listing.stdout, /^evil +x +1 +fine\\x1b\[2J\\nsecond line$/m);
      assert.match(listing.stdout, /^bare +y +-$/m);
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(listing.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      const rollout = await runPaz(['rollout', 'evil', '--url', hostileUrl]);
      assert.equal(rollout.code, 0, rollout.stderr);
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(rollout.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, JSON.stringify(rollout.stdout));
      assert.match(rollout.stdout, /^evil version 2: failed \(evil-2-1 exited\\x1b\[2J\)\nstrategy: recreate \(port\\x1b\]0;t\\x07\)\n[^]*evil-2-1 +exited +false +bye\\x1b\[1A$/m);
      const config = await runPaz(['config', 'evil', '--url', hostileUrl]);
      assert.equal(config.code, 0, config.stderr);
      assert.match(config.stdout, /^env\.GREETING = hi\\x1b\[2J$/m);
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(config.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, JSON.stringify(config.stdout));
      // one-line answers: a host drain (its progress line and the host id it resolved), a token revoked, the webhook setup
      const drain = await runPaz(['host', 'drain', 'h1', '--url', hostileUrl]);
      assert.equal(drain.code, 1, `stuck: ${drain.stderr}`);
      assert.match(drain.stdout, /^host h1\\x1b\[2J: drained; [^]*evil-1-1\\x1b\[1A[^]*\(\\x1b\]0;t\\x07\)/m);
      const revoked = await runPaz(['token', 'revoke', 'ci', '--url', hostileUrl]);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.equal(revoked.stdout, 'revoked token "ci\\x1b[2J" (admin, id t\\x1b[1A)\n');
      const webhook = await runPaz(['webhook', 'secret', '--url', hostileUrl]);
      assert.equal(webhook.code, 0, webhook.stderr);
      assert.match(webhook.stdout, /^webhook secret: s\\x1b\]0;t\\x07 /);
      // a unit's restart that is stuck: the reason in Paz's red (none here: not a terminal), its escapes spelled out
      const stuck = await runPaz(['restart', 'evil', '--unit', 'evil-1-1', '--url', hostileUrl]);
      assert.equal(stuck.code, 1, stuck.stderr);
      assert.match(stuck.stderr, /^evil-1-1 cannot be restarted: its replacement exited\\x1b\[2J; /m);
      // what a server says back about a registry login, a secret set, and who a token is
      const registry = await runPaz(['registry', 'login', 'reg.example', '--username', 'u', '--password-stdin', '--url', hostileUrl], 'pw\n');
      assert.equal(registry.code, 0, registry.stderr);
      assert.equal(registry.stdout, 'credentials for reg\\x1b[2J set (user u\\x1b]0;t\\x07, password fingerprint f\\x1b[1A)\n');
      const secret = await runPaz(['secret', 'set', 'evil', 'TOKEN=x', '--url', hostileUrl]);
      assert.equal(secret.code, 0, secret.stderr);
      assert.match(secret.stdout, /^TOKEN: set \(fingerprint fp\\x1b\[2J\)$/m);
      const login = await runPaz(['login', hostileUrl, '--token-stdin', '--profile', 'evil'], 'tok\n', { PAZ_CONFIG: join(dir, 'profiles.json') });
      assert.equal(login.code, 0, login.stderr);
      assert.equal(login.stdout, `logged in to ${hostileUrl} as ci\\x1b[2J (role admin\\x1b]0;t\\x07)\n`);
      for (const r of [drain, revoked, webhook, stuck, registry, secret, login]) {
        // eslint-disable-next-line no-control-regex
        assert.doesNotMatch(r.stdout + r.stderr, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, JSON.stringify(r.stdout + r.stderr));
      }
      const runs = [
        await runPaz(['health', '--url', hostileUrl]),
        await runPaz(['create', file, '--url', url]),
        await runPaz(['de\u001b[2Jploy', '--url', url]),
        await runPaz(['scale', 'hello-web', '\u001b[2J', '--url', url]),
      ];
      for (const r of runs) {
        assert.notEqual(r.code, 0, r.stderr);
        // eslint-disable-next-line no-control-regex
        assert.doesNotMatch(r.stderr, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, JSON.stringify(r.stderr));
        assert.match(r.stderr, /\\x1b/, JSON.stringify(r.stderr));
      }
      assert.match(runs[0].stderr, /gone\\x1b\[2J\\x1b\]0;pwned\\x07\\rlooks fine/);
    } finally {
      hostile.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('scale on a service never deployed says what it changed; empty listings say what they mean', async () => {
    const r = await runPaz(['scale', 'hello-web', '2', '--url', url]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'hello-web has never been deployed, so nothing was started or stopped: numInstances 1 → 2; `paz deploy hello-web` starts 2 instances');
    const back = await runPaz(['scale', 'hello-web', '1', '--json', '--url', url]);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(JSON.parse(back.stdout).version, 0);
    const restart = await runPaz(['restart', 'hello-web', '--url', url]);
    assert.equal(restart.code, 1, 'nothing to restart');
    assert.equal(restart.stderr.trim(), 'paz: hello-web has not been deployed yet: deploy it with `paz deploy hello-web`');
    for (const [args, note] of [[['history', 'hello-web'], /hello-web has never been deployed: `paz deploy hello-web`/], [['units', 'hello-web'], /hello-web has no units: it was never deployed/], [['hosts'], /no hosts: start an agent/], [['secret', 'ls', 'hello-web'], /hello-web has no secret env values/]] as const) {
      const e = await runPaz([...args, '--url', url]);
      assert.equal(e.code, 0, e.stderr);
      assert.equal(e.stdout, '', `${args.join(' ')} prints no lone header`);
      assert.match(e.stderr, note);
    }
    const human = await runPaz(['service', 'hello-web', '--url', url]);
    assert.match(human.stdout, /^name: hello-web\nimage: 127\.0\.0\.1:5000\/paz\/hello\n/);
    assert.match(human.stdout, /^ {2}numInstances = 1$/m);
  });

  it('colour only on a terminal: none into a pipe, none with NO_COLOR, none in --json', async (t) => {
    if (spawnSync('script', ['--version']).error) return t.skip('script (util-linux) is not installed');
    // script(1) gives paz a pseudo-terminal, as a user's shell would
    const atTerminal = (args: string[], env: Record<string, string> = {}) =>
      spawnSync('script', ['-qec', `'${process.execPath}' '${pazBin}' ${args.join(' ')}`, '/dev/null'], { env: { ...process.env, TERM: 'xterm', NO_COLOR: '', ...env }, encoding: 'utf8', timeout: 30_000 }).stdout;
    const tty = atTerminal(['health', '--url', url]);
    assert.match(tty, /cluster: \x1b\[33mdegraded\x1b\[0m/, 'degraded in yellow at a terminal');
    const piped = await runPaz(['health', '--url', url], '', { NO_COLOR: '' });
    assert.match(piped.stdout, /^cluster: degraded /);
    assert.doesNotMatch(piped.stdout + piped.stderr, /\x1b/, 'no escape codes into a pipe');
    assert.doesNotMatch(atTerminal(['health', '--url', url], { NO_COLOR: '1' }), /\x1b\[3/, 'NO_COLOR');
    assert.doesNotMatch(atTerminal(['health', '--json', '--url', url]), /\x1b\[3/, '--json stays JSON');
  });

  it('--json gives output that parses; the default is a table', async () => {
    const services = await runPaz(['services', '--json', '--url', url]);
    assert.equal(services.code, 0, services.stderr);
    assert.deepEqual((JSON.parse(services.stdout) as Array<{ name: string }>).map((s) => s.name), ['hello-web']);
    assert.match((await runPaz(['services', '--url', url])).stdout, /^NAME\s+IMAGE/);
    for (const args of [['units'], ['ps'], ['hosts'], ['history', 'hello-web'], ['service', 'hello-web'], ['secret', 'ls', 'hello-web'], ['registry', 'ls']]) {
      const r = await runPaz([...args, '--json', '--url', url]);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.doesNotThrow(() => JSON.parse(r.stdout), args.join(' '));
    }
    // the store, read beside the running server (read-only)
    const kv = await runPaz(['--json', 'kv', 'ls', '/paz', '--data-dir', paz.dataDir]);
    assert.equal(kv.code, 0, kv.stderr);
    assert.ok((JSON.parse(kv.stdout) as Array<{ key: string }>).some((e) => e.key.includes('hello-web')), 'the service is in the store');
  });
});
