// `paz config` (show, set, unset, edit in $EDITOR, diff), `paz events`, `paz journal --json`, `paz secret set`
// on an unknown service, and shell completion, run as a user would (bin/paz.js) against a real `paz up`.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PazProcess, pazBin, request, runPaz } from './helpers/paz-server.js';
import { waitFor } from './helpers/wait.js';
import { stopChild } from './helpers/child.js';

describe('paz config, events, journal, completion', () => {
  const server = new PazProcess({ role: 'up', extraArgs: ['--no-agent'] });
  const dir = mkdtempSync(join(tmpdir(), 'paz-config-test-'));
  let env: Record<string, string> = {};
  const paz = (args: string[], extra: Record<string, string> = {}) => runPaz(args, '', { ...env, ...extra });
  const next = async () => (await request('GET', `${server.orchestrator}/services/web-app/config/next`)).body.doc;
  const versions = async () => (await request('GET', `${server.orchestrator}/services/web-app/versions`)).body.doc.length as number;

  before(async () => {
    await server.start();
    env = { ...server.cliEnv, PAZ_CONFIG: join(dir, 'no-profiles.json'), PAZ_TOKEN: '', PAZ_PROFILE: '' };
    const created = await request('POST', `${server.orchestrator}/services`, { name: 'web-app', dockerRepository: '127.0.0.1:5000/paz/hello', ports: [{ container: 9000 }] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the next config as key = value lines, or JSON', async () => {
    const human = await paz(['config', 'web-app']);
    assert.equal(human.code, 0, human.stderr);
    assert.equal(human.stdout, '# web-app: the next config\nenv = {}\nnumInstances = 1\nports = [{"container":9000}]\npublicFacing = false\nvolume = {}\n');
    const json = await paz(['config', 'web-app', '--json']);
    assert.deepEqual(JSON.parse(json.stdout), await next());
  });

  it('set changes keys, dotted ones inside env and healthCheck; values parse as JSON where they can', async () => {
    const r = await paz(['config', 'set', 'web-app', 'env.GREETING=hello world', 'env.COUNT=3', 'healthCheck.path=/health', 'numInstances=2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\+ env.COUNT = 3$/m);
    assert.match(r.stdout, /^- numInstances = 1\n\+ numInstances = 2$/m);
    assert.match(r.stdout, /'paz deploy web-app' rolls it out/);
    const doc = await next();
    assert.deepEqual(doc.env, { GREETING: 'hello world', COUNT: '3' }, 'env values stay text');
    assert.deepEqual(doc.healthCheck, { path: '/health' });
    assert.equal(doc.numInstances, 2);
  });

  it('unset removes an env entry and resets a key; bad keys are usage errors with the nearest key', async () => {
    const r = await paz(['config', 'unset', 'web-app', 'env.COUNT', 'healthCheck']);
    assert.equal(r.code, 0, r.stderr);
    const doc = await next();
    assert.deepEqual(doc.env, { GREETING: 'hello world' });
    assert.deepEqual(doc.healthCheck, {});
    const typo = await paz(['config', 'set', 'web-app', 'numInstance=3']);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /unknown config key numInstance \(did you mean numInstances\?\) for paz config set/);
    const missing = await paz(['config', 'unset', 'web-app', 'env.NOPE']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /the next config has no env.NOPE/);
    const refused = await paz(['config', 'set', 'web-app', 'numInstances=-1']);
    assert.equal(refused.code, 1, 'the server refuses what the schema refuses');
    assert.match(refused.stderr, /numInstances/);
    // of several assignments, the refused one is named as typed, and nothing of the others was applied
    const before = await next();
    const several = await paz(['config', 'set', 'web-app', 'env.LATER=1', 'healthCheck.intervalSeconds=fast']);
    assert.equal(several.code, 1);
    assert.match(several.stderr, /^paz: field "healthCheck\.intervalSeconds" must be number \(from healthCheck\.intervalSeconds=fast\); nothing changed\n/);
    assert.deepEqual(await next(), before);
  });

  it('edit opens $EDITOR on the JSON and applies what was saved', async () => {
    const editor = join(dir, 'edit.sh');
    writeFileSync(editor, `#!/bin/sh\nsed -i 's/"numInstances": 2/"numInstances": 4/; s/"hello world"/"edited"/' "$1"\n`);
    chmodSync(editor, 0o755);
    const r = await paz(['config', 'edit', 'web-app'], { EDITOR: editor, VISUAL: '' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\+ numInstances = 4$/m);
    const doc = await next();
    assert.equal(doc.numInstances, 4);
    assert.equal(doc.env.GREETING, 'edited');
  });

  it('edit: an unchanged file changes nothing; JSON that does not parse exits 1 and keeps the edit', async () => {
    const before = JSON.stringify(await next());
    const same = await paz(['config', 'edit', 'web-app'], { EDITOR: 'true', VISUAL: '' });
    assert.equal(same.code, 0, same.stderr);
    assert.equal(same.stdout.trim(), 'no change to the next config of web-app');
    const breaker = join(dir, 'break.sh');
    writeFileSync(breaker, '#!/bin/sh\nprintf \'{"numInstances": \' > "$1"\n');
    chmodSync(breaker, 0o755);
    const tmpBefore = new Set(readdirSync(tmpdir()));
    const bad = await paz(['config', 'edit', 'web-app'], { EDITOR: breaker, VISUAL: '' });
    assert.equal(bad.code, 1);
    const kept = /kept in (\S+\.json)/.exec(bad.stderr)?.[1];
    assert.match(bad.stderr, /the edited config is not valid JSON/);
    assert.ok(kept, bad.stderr);
    rmSync(join(kept, '..'), { recursive: true, force: true });
    const failing = await paz(['config', 'edit', 'web-app'], { EDITOR: 'false', VISUAL: '' });
    assert.equal(failing.code, 1);
    assert.match(failing.stderr, /the editor \(false\) exited with 1; nothing changed/);
    assert.equal(JSON.stringify(await next()), before);
    assert.deepEqual([...new Set(readdirSync(tmpdir()))].filter((f) => !tmpBefore.has(f) && f.startsWith('paz-config-')), [], 'no temp files left');
  });

  it('diff compares versions key by key: default last deployed against next', async () => {
    const never = await paz(['config', 'diff', 'web-app']);
    assert.equal(never.code, 1);
    assert.match(never.stderr, /web-app has never been deployed.*paz deploy web-app/);
    // no agent runs here: the deploy is accepted and never finishes, so it is not followed
    const detached = await paz(['deploy', 'web-app', '--detach']);
    assert.equal(detached.code, 0, detached.stderr);
    assert.match(detached.stdout, /^deploying web-app version 1 \(127\.0\.0\.1:5000\/paz\/hello[^)]*\); `paz rollout web-app` shows how it goes\n$/);
    assert.equal((await paz(['config', 'set', 'web-app', 'env.GREETING=v2'])).code, 0);
    const d = await paz(['config', 'diff', 'web-app']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(d.stdout, '--- web-app the serving config\n+++ web-app the next config\n- env.GREETING = edited\n+ env.GREETING = v2\n');
    assert.equal((await paz(['deploy', 'web-app', '--detach'])).code, 0);
    const between = await paz(['config', 'diff', 'web-app', '1', '2', '--json']);
    assert.deepEqual(JSON.parse(between.stdout), { from: 1, to: 2, changes: ['- env.GREETING = edited', '+ env.GREETING = v2'] });
    const v1 = await paz(['config', 'web-app', '--version', '1', '--json']);
    assert.equal(JSON.parse(v1.stdout).env.GREETING, 'edited');
    assert.equal((await paz(['config', 'diff', 'web-app', 'last', 'next'])).stdout.split('\n')[2], '(no differences)');
  });

  it("set's rollout hint keeps the tag of the newest deploy while nothing serves (a first deploy failing or under way)", async () => {
    const created = await request('POST', `${server.orchestrator}/services`, { name: 'tagged', dockerRepository: '127.0.0.1:5000/paz/hello', ports: [{ container: 9000 }] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    try {
      assert.match((await paz(['config', 'set', 'tagged', 'env.A=1'])).stdout, /'paz deploy tagged' rolls it out/, 'never deployed: no tag to keep');
      // no agent runs here: the deploy of :2 is accepted and nothing ever serves
      assert.equal((await paz(['deploy', 'tagged', '--tag', '2', '--detach'])).code, 0);
      const set = await paz(['config', 'set', 'tagged', 'env.A=2']);
      assert.equal(set.code, 0, set.stderr);
      // without the tag, the hint's deploy would pull :latest, which this repository may not have at all
      assert.match(set.stdout, /^next config of tagged changed; 'paz deploy tagged --tag 2' rolls it out$/m);
    } finally {
      // the later tests (completion) list every service
      assert.equal((await request('DELETE', `${server.orchestrator}/services/tagged`)).status, 204);
    }
  });

  it('an unknown service or version fails with exit 1; a bad version is a usage error', async () => {
    for (const args of [['config', 'web-ap'], ['config', 'set', 'web-ap', 'numInstances=1'], ['config', 'unset', 'web-ap', 'env.X'], ['config', 'edit', 'web-ap'], ['config', 'diff', 'web-ap']]) {
      const r = await paz(args, { EDITOR: 'true' });
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /no service named web-ap \(did you mean web-app\?\); create it with `paz create FILE`/, args.join(' '));
    }
    const v = await paz(['config', 'web-app', '--version', '9']);
    assert.equal(v.code, 1);
    assert.match(v.stderr, /has no version 9: versions go from 1 to 2/);
    assert.equal((await paz(['config', 'diff', 'web-app', '9'])).code, 1);
    assert.equal((await paz(['config', 'web-app', '--version', 'newest'])).code, 2);
    assert.equal(await versions(), 2, 'nothing deployed by the failures');
  });

  it('paz secret set on an unknown service fails with exit 1 and says how to create it', async () => {
    const r = await paz(['secret', 'set', 'web-ap', 'DB_PASSWORD=x']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no service named web-ap \(did you mean web-app\?\); create it with `paz create FILE`/);
  });

  it('paz journal --json prints the journal as JSON, for one service or all', async () => {
    const r = await paz(['journal', 'web-app', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const entries = JSON.parse(r.stdout) as Array<{ event: string; serviceName: string; version: number }>;
    assert.ok(entries.every((e) => e.serviceName === 'web-app'));
    assert.deepEqual(entries.filter((e) => e.event === 'deploy').map((e) => e.version), [2, 1], 'newest first');
    assert.ok(entries.some((e) => e.event === 'config-changed'));
    const all = await paz(['journal', '--json']);
    assert.ok((JSON.parse(all.stdout) as unknown[]).length >= entries.length);
    assert.equal((await paz(['journal', 'web-ap', '--json'])).code, 1);
  });

  /** Runs `paz events ARGS` until `done` holds for its output, then stops it by its PID. */
  async function events(args: string[], act: () => Promise<void>, done: (out: { stdout: string; stderr: string }) => boolean) {
    const child = spawn(process.execPath, [pazBin, 'events', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '' };
    child.stdout!.on('data', (d) => (out.stdout += d));
    child.stderr!.on('data', (d) => (out.stderr += d));
    try {
      await waitFor('paz events to connect', async () => /connected to/.test(out.stderr) || child.exitCode !== null, 20_000, 50);
      assert.equal(child.exitCode, null, out.stderr);
      await act();
      await waitFor('the events', async () => done(out) || child.exitCode !== null, 20_000, 50);
      return out;
    } finally {
      await stopChild(child);
    }
  }

  it('paz events says where it is connected, then prints one readable line per event', async () => {
    const out = await events([], async () => void (await paz(['config', 'set', 'web-app', 'env.EVENT=1'])), (o) => /config-changed/.test(o.stdout));
    assert.match(out.stderr, new RegExp(`^connected to ${server.orchestrator} \\(since revision \\d+\\)`));
    assert.match(out.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ  service\.modifyConfig +web-app +next config changed \(numInstances 4\)$/m);
    assert.match(out.stdout, /^\S+  journal +web-app +config-changed: config of web-app changed: env \(by anonymous\)$/m);
  });

  it('paz events --json prints one JSON event per line; --since resumes from a revision', async () => {
    const revision = Number((await request('GET', `${server.orchestrator}/services`)).headers.get('x-paz-revision'));
    const out = await events(['--json', '--since', String(revision)], async () => void (await paz(['scale', 'web-app', '1'])), (o) => /"type":"journal"/.test(o.stdout));
    assert.match(out.stderr, new RegExp(`since revision ${revision}\\)`));
    const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as { revision: number; type: string; data: unknown });
    assert.ok(lines.every((l) => l.revision > revision && typeof l.type === 'string'));
    assert.ok(lines.some((l) => l.type === 'journal' && (l.data as { event: string }).event === 'scale'), out.stdout);
    assert.equal((await paz(['events', '--since', 'yesterday'])).code, 2);
  });

  describe('shell completion', () => {
    /** A `paz` on PATH, as setup.sh links it, for the completion script to call. */
    let path = '';
    before(() => {
      const bin = join(dir, 'bin');
      spawnSync('mkdir', ['-p', bin]);
      writeFileSync(join(bin, 'paz'), `#!/bin/sh\nexec "${process.execPath}" "${pazBin}" "$@"\n`);
      chmodSync(join(bin, 'paz'), 0o755);
      path = `${bin}:${process.env.PATH}`;
    });

    /** What bash offers for the command line `line` (Tab at its end), through the script paz prints. */
    function bashComplete(line: string): string[] {
      const words = line.split(' ');
      const script = [
        'source <(paz completion bash)',
        `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
        `COMP_CWORD=${words.length - 1}`,
        `COMP_LINE='${line}'`,
        `COMP_POINT=${line.length}`,
        '_paz',
        'printf "%s\\n" "${COMPREPLY[@]}"',
      ].join('\n');
      const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { env: { ...process.env, ...env, PATH: path }, encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.split('\n').filter(Boolean);
    }

    it('bash completes commands, verbs, flags and service names', () => {
      assert.deepEqual(bashComplete('paz se'), ['secret', 'server', 'service', 'services']);
      assert.deepEqual(bashComplete('paz config '), ['show', 'set', 'unset', 'edit', 'diff', 'web-app'], 'its verbs and the service names from the server');
      assert.deepEqual(bashComplete('paz config s'), ['show', 'set']);
      assert.deepEqual(bashComplete('paz config set w'), ['web-app']);
      assert.deepEqual(bashComplete('paz deploy web-app --t'), ['--tag', '--token']);
      assert.deepEqual(bashComplete('paz token '), ['create', 'ls', 'revoke']);
      assert.deepEqual(bashComplete('paz token create ci --role d'), ['deployer']);
      assert.deepEqual(bashComplete('paz completion '), ['bash', 'zsh']);
      assert.deepEqual(bashComplete('paz config set web-app num'), ['numInstances=']);
      assert.deepEqual(bashComplete('paz config unset web-app env.X heal'), ['healthCheck', 'healthCheck.']);
      assert.ok(!bashComplete('paz ').includes('__complete'), 'the hidden command is not offered');
    });

    it('bash completes options before the command, and dotted config keys from the service\'s own config', async () => {
      const patched = await request('PATCH', `${server.orchestrator}/services/web-app/config/next`, { env: { APP_MODE: 'a', APP_NAME: 'b', DEBUG: '1' }, healthCheck: { path: '/health' } });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.deepEqual(bashComplete('paz --js'), ['--json']);
      assert.deepEqual(bashComplete(`paz --url ${server.orchestrator} --json se`), ['secret', 'server', 'service', 'services']);
      assert.deepEqual(bashComplete(`paz --url ${server.orchestrator} deploy w`), ['web-app'], 'the server named before the command is asked');
      assert.deepEqual(bashComplete('paz config set web-app en'), ['env=', 'env.']);
      assert.deepEqual(bashComplete('paz config set web-app env.'), ['env.APP_MODE=', 'env.APP_NAME=', 'env.DEBUG=']);
      assert.deepEqual(bashComplete('paz config set web-app env.APP_'), ['env.APP_MODE=', 'env.APP_NAME=']);
      assert.deepEqual(bashComplete('paz config set web-app env.D'), ['env.DEBUG=']);
      assert.deepEqual(bashComplete('paz config unset web-app env.APP_M'), ['env.APP_MODE']);
      assert.deepEqual(bashComplete('paz config show web-app healthCheck.'), ['healthCheck.path']);
      assert.deepEqual(bashComplete('paz config web-app env.DE'), ['env.DEBUG'], 'config SERVICE KEY is show');
      assert.deepEqual(bashComplete('paz config set web-app healthCheck.int'), ['healthCheck.intervalSeconds='], 'the schema\'s fields');
      assert.deepEqual(bashComplete('paz config set nope env.'), [], 'an unknown service: no entries to offer');
      const shown = await paz(['config', 'show', 'web-app', 'env.DEBUG', 'healthCheck']);
      assert.equal(shown.code, 0, shown.stderr);
      assert.equal(shown.stdout, 'env.DEBUG = 1\nhealthCheck.path = /health\n');
      assert.deepEqual(JSON.parse((await paz(['--json', 'config', 'web-app', 'env.APP_MODE'])).stdout), { 'env.APP_MODE': 'a' });
      const missing = await paz(['config', 'show', 'web-app', 'env.NOPE']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /the next config of web-app has no env\.NOPE/);
      assert.equal((await paz(['config', 'show', 'web-app', 'envv.X'])).code, 2);
    });

    it('bash adds no space after a completed KEY= or KEY. (the value or entry follows)', () => {
      const script = [
        'source <(paz completion bash)',
        'compopt() { echo "compopt $1 $2"; }',
        "COMP_WORDS=(paz config set web-app env.DE); COMP_CWORD=4; _paz; printf '%s\\n' \"${COMPREPLY[@]}\"",
        "COMP_WORDS=(paz config set web-app hea); COMP_CWORD=4; _paz; printf '%s\\n' \"${COMPREPLY[@]}\"",
      ].join('\n');
      const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { env: { ...process.env, ...env, PATH: path }, encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'compopt -o nospace\nenv.DEBUG=\nhealthCheck=\nhealthCheck.\n');
    });

    it('offers nothing, quietly, when Paz cannot be reached', () => {
      const r = spawnSync('paz', ['__complete', 'deploy', ''], { env: { ...process.env, ...env, PATH: path, PAZ_URL: 'http://127.0.0.1:1' }, encoding: 'utf8' });
      assert.equal(r.status, 0);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, '');
    });

    it('the zsh script is valid zsh (when zsh is installed)', (t) => {
      if (spawnSync('zsh', ['--version']).error) return t.skip('zsh is not installed');
      const file = join(dir, '_paz');
      const script = spawnSync('paz', ['completion', 'zsh'], { env: { ...process.env, PATH: path }, encoding: 'utf8' });
      writeFileSync(file, script.stdout);
      const r = spawnSync('zsh', ['-n', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    });

    it('zsh completes commands and service names (when zsh is installed)', (t) => {
      if (spawnSync('zsh', ['--version']).error) return t.skip('zsh is not installed');
      // outside a completion widget compadd and compdef do not exist: stand-ins print what would be offered
      const complete = (line: string) => {
        const words = line.split(' ');
        const script = [
          'compdef() { :; }',
          'compadd() { while (( $# )); do if [[ $1 == -a ]]; then print -l -- "${(@P)2}"; return; fi; shift; done; }',
          '_files() { print -- "(files)"; }',
          'source <(paz completion zsh)',
          `words=(${words.map((w) => `'${w}'`).join(' ')})`,
          `CURRENT=${words.length}`,
          '_paz',
        ].join('\n');
        const r = spawnSync('zsh', ['-f', '-c', script], { env: { ...process.env, ...env, PATH: path }, encoding: 'utf8', timeout: 20_000 });
        assert.equal(r.status, 0, r.stderr);
        return r.stdout.split('\n').filter(Boolean);
      };
      assert.deepEqual(complete('paz se'), ['secret', 'server', 'service', 'services']);
      assert.deepEqual(complete('paz deploy w'), ['web-app']);
      assert.deepEqual(complete('paz create '), ['(files)'], 'nothing to offer: files');
      assert.deepEqual(complete('paz config set web-app num'), ['numInstances=']);
      assert.deepEqual(complete('paz config set web-app env.APP_'), ['env.APP_MODE=', 'env.APP_NAME=']);
      assert.deepEqual(complete('paz config unset web-app env.D'), ['env.DEBUG']);
      assert.deepEqual(complete(`paz --url ${server.orchestrator} --json deploy w`), ['web-app']);
    });
  });
});
