// The CLI's common manners, run as a user would (bin/paz.js) against a real `paz up --no-agent`: exit codes
// (0 done, 1 failed, 2 usage), "did you mean" for commands, options and services, Paz's own words when it
// cannot be reached, and --json output that parses.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PazProcess, freePort, request, runPaz } from './helpers/paz-server.js';

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
    assert.equal(r.stderr.trim(), 'paz: cannot read /nonexistent/hello.json: no such file');
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
  });
});
