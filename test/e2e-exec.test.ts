// `paz exec` on the real dockerd, through `paz up` with tokens on: a command runs in a running container of the
// service with its environment, its output comes line by line as it is written (stdout and stderr apart), and
// paz exits with its exit code. What would break it: a command that outlives its caller (a timeout, a client
// that goes away, Ctrl-C) must be killed with what it started, not left running in the container; a unit that
// is not running, an unknown one, a read-only token and a malformed command are refused before anything runs;
// every run is in the journal with who ran what.
// test-lane: docker
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type Docker from 'dockerode';
import { type PazProcess, pazBin, request, runPaz } from './helpers/paz-server.js';
import { skipUnlessDocker } from './helpers/env.js';
import { startPazUp, type PazUp } from './helpers/paz-up.js';
import { refused } from './helpers/cli-result.js';
import { waitFor } from './helpers/wait.js';
import { openStream } from '../src/client/http-stream.js';

describe('paz exec runs a command in a running container', skipUnlessDocker, () => {
  let up: PazUp;
  let paz: PazProcess;
  let docker: Docker;
  const service = `exec-${process.pid}`;
  const cli = (args: string[]) => runPaz(args, '', paz.cliEnv);
  /** the processes in the service's containers whose command line is `args` (`sleep 20`: not the shell that started it) */
  const running = async (args: string) => {
    const out: string[] = [];
    for (const c of await docker.listContainers({ filters: { label: [`paz.service=${service}`] } })) {
      const top = (await docker.getContainer(c.Id).top({ ps_args: '-o pid,args' })) as { Processes?: string[][] };
      for (const p of top.Processes ?? []) if (p.slice(1).join(' ') === args) out.push(`${c.Names[0]}: ${p.join(' ')}`);
    }
    return out;
  };

  before(async () => {
    up = await startPazUp([], { auth: true });
    ({ paz, docker } = up);
    const created = await request('POST', `${paz.orchestrator}/services`, { name: service, dockerRepository: up.env.image1.replace(/:1$/, ''), ports: [{ container: 9000 }], numInstances: 2, env: { GREETING: 'hello from the service', DATABASE_URL: 'postgres://db/app' }, rollout: { drainSeconds: 1, minHealthySeconds: 1 } }, paz.authHeaders());
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const deployed = await request('POST', `${paz.orchestrator}/services/${service}/deploy`, { tag: '1' }, paz.authHeaders());
    assert.equal(deployed.status, 201, JSON.stringify(deployed.body));
    await up.settled(service, deployed.body.doc.version);
  });
  after(async () => {
    await request('DELETE', `${paz.orchestrator}/services/${service}`, undefined, paz.authHeaders()).catch(() => undefined);
    await up?.close();
  });

  it("prints the command's stdout and stderr apart, exits with its code, and runs it in the container with the service's env", async () => {
    const r = await cli(['exec', service, '--', 'sh', '-c', 'echo "greeting: $GREETING"; echo "db: $DATABASE_URL"; echo oops >&2; cat /etc/hostname; exit 3']);
    assert.equal(r.code, 3, `${r.stdout}${r.stderr}`);
    const [greeting, db, hostname] = r.stdout.trim().split('\n');
    assert.equal(greeting, 'greeting: hello from the service');
    assert.equal(db, 'db: postgres://db/app');
    assert.equal(r.stderr.trim(), 'oops');
    const ids = (await docker.listContainers({ filters: { label: [`paz.service=${service}`] } })).map((c) => c.Id.slice(0, 12));
    assert.ok(ids.includes(hostname), `ran in one of the service's containers (${ids}), not ${hostname}`);
    assert.equal((await cli(['exec', service, '--', 'true'])).code, 0);
  });

  it('--unit picks the instance; an unknown unit or service is refused with exit 1; a program not there exits 126', async () => {
    const units = (await request('GET', `${paz.orchestrator}/services/${service}/units`, undefined, paz.authHeaders())).body as Array<{ name: string; containerId?: string }>;
    for (const u of units) {
      const r = await cli(['exec', service, '--unit', u.name, '--', 'cat', '/etc/hostname']);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(u.containerId?.startsWith(r.stdout.trim()), `${u.name} is container ${u.containerId}, the command ran in ${r.stdout}`);
    }
    refused(await cli(['exec', service, '--unit', `${service}-9`, '--', 'true']), 1, new RegExp(`has no unit "${service}-9"`));
    refused(await cli(['exec', 'no-such-service', '--', 'true']), 1, /no service named no-such-service/);
    // Docker's own words (on stdout, as dockerd sends them) and code
    const missing = await cli(['exec', service, '--', 'no-such-program']);
    assert.equal(missing.code, 126, `${missing.stdout}${missing.stderr}`);
    assert.match(missing.stdout + missing.stderr, /"no-such-program": executable file not found/);
  });

  it('a command that leaves a process in the background, holding its output, still ends', async () => {
    const r = await cli(['exec', service, '--', 'sh', '-c', 'sleep 29 & echo left in the background']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'left in the background\n');
    assert.equal((await running('sleep 29')).length, 1, 'the answer came while the background process still ran (it is not waited for)');
  });

  it('a command quiet for longer than the answers of agents are waited for (10 s) runs to its end', async () => {
    const r = await cli(['exec', service, '--', 'sh', '-c', 'sleep 12; echo done']);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, 'done\n');
  });

  it('output arrives as it is written, not when the command ends', async () => {
    const res = await openStream(`${paz.orchestrator}/services/${service}/exec`, { headers: paz.authHeaders(), json: { command: ['sh', '-c', 'echo first; sleep 20; echo second'] } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/x-ndjson');
    let seen = '';
    for await (const chunk of res) {
      seen += String(chunk);
      if (!seen.includes('"first"')) continue;
      // still reading: the command runs on
      await waitFor('the command, still running when its first line arrived', async () => ((await running('sleep 20')).length === 1 ? true : undefined), 10_000);
      break;
    }
    assert.deepEqual(JSON.parse(seen.split('\n')[0]), { type: 'output', stream: 'stdout', line: 'first' });
    assert.doesNotMatch(seen, /"exit"/);
    // and the client going away (the loop's break closed the connection) kills it, sleep included
    await waitFor('the command to be killed once its client went away', async () => ((await running('sleep 20')).length === 0 ? true : undefined), 15_000);
  });

  it('a timeout kills the command and what it started, and says so', async () => {
    const run = cli(['exec', service, '--timeout', '2', '--', 'sh', '-c', 'echo started; sleep 25; echo never']);
    await waitFor('the command to run', async () => ((await running('sleep 25')).length === 1 ? true : undefined), 10_000);
    const r = await run;
    assert.equal(r.code, 137, `${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, 'started\n');
    assert.match(r.stderr, /was killed after 2 s \(--timeout\)/);
    await waitFor('nothing of it left in the containers', async () => ((await running('sleep 25')).length === 0 ? true : undefined), 10_000);
  });

  it('Ctrl-C kills the command where it runs and exits 130', async () => {
    const child = spawn(process.execPath, [pazBin, 'exec', service, '--', 'sh', '-c', 'echo started; sleep 26; echo never'], { env: { ...process.env, ...paz.cliEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    await waitFor('the command to start', async () => (out.includes('started') && (await running('sleep 26')).length === 1 ? true : undefined), 30_000);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 130, `${out}${err}`);
    assert.match(err, /interrupted: sh in .* was killed/);
    await waitFor('nothing of it left in the containers', async () => ((await running('sleep 26')).length === 0 ? true : undefined), 10_000);
  });

  it('a command ends with its container: the container crashing ends it, and paz exec says why', async () => {
    const run = cli(['exec', service, '--', 'sh', '-c', 'echo started; sleep 24; echo never']);
    await waitFor('the command to run', async () => ((await running('sleep 24')).length === 1 ? true : undefined), 10_000);
    const [where] = await running('sleep 24');
    const container = (await docker.listContainers({ filters: { label: [`paz.service=${service}`] } })).find((c) => where.startsWith(`${c.Names[0]}:`))!;
    const t0 = Date.now();
    await docker.getContainer(container.Id).kill();
    const r = await run;
    assert.notEqual(r.code, 0, `${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, 'started\n');
    assert.match(r.stderr, /stopped while sh ran \(it crashed, was stopped or was replaced\), and the command ended with it/);
    assert.ok(Date.now() - t0 < 10_000, `ended ${Date.now() - t0} ms after the crash`);
    // its agent starts it again, and a command runs in it
    await waitFor('the instance to run again', async () => ((await cli(['exec', service, '--unit', container.Labels['paz.unit'] ?? '', '--', 'true'])).code === 0 ? true : undefined), 60_000);
  });

  it('is refused to a read-only or deployer token and for a malformed command; every run is journaled with who ran what', async () => {
    for (const role of ['read-only', 'deployer']) {
      const made = await request('POST', `${paz.orchestrator}/auth/tokens`, { name: `exec-${role}`, role }, paz.authHeaders());
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const r = await request('POST', `${paz.orchestrator}/services/${service}/exec`, { command: ['true'] }, paz.authHeaders(made.body.token));
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.match(r.body.message, /needs the role admin/);
    }
    for (const [body, message] of [
      [{ command: [] }, /fewer than 1 items/],
      [{ command: 'ls -la' }, /command/],
      [{ command: ['a\u0000b'] }, /NUL character/],
      [{ command: [''] }, /the program, is empty/],
      [{ command: ['ls'], timeoutSeconds: 0 }, /timeoutSeconds/],
      [{ command: ['ls'], user: 'root' }, /unknown field "user"/],
    ] as const) {
      const r = await request('POST', `${paz.orchestrator}/services/${service}/exec`, body, paz.authHeaders());
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.body.message, message, JSON.stringify(body));
    }
    const journal = (await request('GET', `${paz.scheduler}/journal?events=exec&service=${service}`, undefined, paz.authHeaders())).body.doc as Array<{ event: string; actor: string; message: string }>;
    const execs = journal.filter((e) => e.event === 'exec');
    assert.ok(execs.some((e) => e.actor === 'admin' && new RegExp(`^exec in ${service}-\\d+-\\d+ on host \\w+ by admin: \`sh -c 'echo started; sleep 25; echo never'\`$`).test(e.message)), JSON.stringify(execs.slice(0, 3)));
    assert.ok(execs.length >= 7, `one entry per run, none lost in the same millisecond (${execs.length})`);
  });
});
