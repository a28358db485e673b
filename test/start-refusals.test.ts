// Issue 12, "documented exit codes (0 ok, 1 failed, 2 usage)" and "no raw Node messages", for the daemons: a
// mistyped value of `paz up|server|agent` is a usage error (exit 2) in Paz's words, said before anything is
// claimed or started (no data dir made, no port taken), never Node's or a library's own text after half of
// Paz started (it was "getaddrinfo ENOTFOUND notanip" after a start, pino's "default level:loud must be
// included in custom levels", and exit 1 for a port "abc").
// test-lane: normal
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runPaz } from './helpers/paz-server.js';
import { tmpDir } from './helpers/env.js';

const RAW = /getaddrinfo|ENOTFOUND|EAI_|custom levels|TypeError|at .*\.js:\d+/;

describe('paz up, server and agent refuse mistyped values with exit 2, before starting anything', () => {
  const cases: Array<{ args: string[]; env?: Record<string, string>; says: RegExp }> = [
    { args: ['up', '--router-port', 'abc'], says: /--router-port \(PAZ_ROUTER_PORT\) must be a port number from 0 to 65535, got "abc"/ },
    { args: ['server', '--orchestrator-port', '70000'], says: /--orchestrator-port .* must be a port number/ },
    { args: ['up', '--agent-port', ''], says: /--agent-port .* must be a port number/ },
    { args: ['up', '--host-loss-grace', 'soon'], says: /--host-loss-grace .* must be a number of seconds from 1 to 86400, got "soon"/ },
    { args: ['up', '--log-level', 'loud'], says: /--log-level \(PAZ_LOG_LEVEL\) must be one of trace, debug, info, warn, error, fatal, silent, got "loud"/ },
    { args: ['agent', '--driver', 'podman'], says: /--driver \(PAZ_DRIVER\) must be one of docker, process, auto, got "podman"/ },
    { args: ['up'], env: { PAZ_DRIVER: 'dokcer' }, says: /--driver \(PAZ_DRIVER\) must be one of docker, process, auto, got "dokcer"/ },
    { args: ['up', '--bind', 'notanip.invalid'], says: /--bind notanip\.invalid is neither an IP address nor a host name that resolves here/ },
    { args: ['up', '--router-bind', 'no-such-host.invalid'], says: /--router-bind no-such-host\.invalid is neither an IP address/ },
    { args: ['agent', '--agent-port', '-5'], says: /option --agent-port needs a value; one that starts with "-" goes as --agent-port=VALUE/ },
    { args: ['server'], env: { PAZ_AUTH: 'maybe' }, says: /PAZ_AUTH must be "off" .* or "on", got "maybe"/ },
  ];
  for (const c of cases) {
    it(`paz ${c.args.join(' ')}${c.env ? ` with ${Object.entries(c.env).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}`, async () => {
      const dataDir = join(tmpDir('paz-refuse-'), 'data');
      const r = await runPaz([...c.args, '--data-dir', dataDir], '', c.env ?? {});
      assert.equal(r.code, 2, `exit 2 (usage): ${r.stderr}`);
      assert.match(r.stderr, c.says);
      assert.doesNotMatch(r.stderr + r.stdout, RAW, 'no raw Node or library text');
      assert.equal(existsSync(dataDir), false, 'nothing claimed: no data dir made');
    });
  }

  it('a name that resolves, like localhost, is a good --bind', async () => {
    const { bindProblem } = await import('../src/roles/routable-address.js');
    assert.equal(await bindProblem([{ flag: '--bind', address: 'localhost' }, { flag: '--agent-bind', address: '0.0.0.0' }]), undefined);
    assert.match((await bindProblem([{ flag: '--bind', address: 'x.invalid' }], async () => { throw new Error('ENOTFOUND'); }))!, /--bind x\.invalid is neither/);
  });
});
