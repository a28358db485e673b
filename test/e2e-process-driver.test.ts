// `paz up --driver process` on a host without Docker: the same deploy path runs a plain program as the
// unit (its own cgroup when available), health-checks and announces it, and serves its logs.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PazProcess, request, runPaz } from './helpers/paz-server.js';
import { waitFor } from './helpers/wait.js';
import { repeatedFields, topLevelFields } from './helpers/log-fields.js';


const server = `
const http = require('node:http');
http.createServer((req, res) => res.end('hello from ' + process.env.PAZ_SERVICE + ' ' + process.env.PAZ_INSTANCE + '\\n'))
  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on ' + process.env.PORT));
process.on('SIGTERM', () => process.exit(0));
`;

describe('paz up with the process driver', () => {
  const cgroupParent = `paz-e2e-test-${process.pid}`;
  // at debug: the log lines of every part (API, control loops, agent, reconciler) are looked at below
  const paz = new PazProcess({ role: 'up', extraArgs: ['--driver', 'process', '--no-router', '--agent-port', '0', '--cgroup-parent', cgroupParent, '--log-level', 'debug'] });
  before(() => paz.start());
  after(async () => {
    // Units outlive their agent on purpose (the next agent adopts them): retire them before stopping it.
    await request('DELETE', `${paz.orchestrator}/services/node-echo`).catch(() => undefined);
    // A unit leaves the agent's count when its retirement begins and its cgroup when the retirement ends (a drain,
    // then the stop): a stop sooner waits only a bounded moment for retirements, and a full run once closed
    // while one was still draining, leaving its cgroup and so the parent.
    const parentDir = `/sys/fs/cgroup/memory/${cgroupParent}`;
    const unitCgroups = () => (existsSync(parentDir) ? readdirSync(parentDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name) : []);
    let seen = '';
    await waitFor('the agent to retire its units', async () => {
      const count = /^paz_agent_units (\d+)$/m.exec(await (await fetch(`${paz.orchestrator}/metrics`)).text())?.[1];
      const left = unitCgroups();
      seen = `paz_agent_units ${count}, unit cgroups [${left.join(', ')}]`;
      return count === '0' && left.length === 0;
    }).catch((err: Error) => {
      const warnings = paz.output.split('\n').filter((l) => /"level":(4|5)\d/.test(l)).slice(-10);
      throw new Error(`${err.message}; last seen: ${seen}; its last warnings:\n${warnings.join('\n')}`);
    });
    await paz.close();
    // the driver removes its (then empty) cgroup parent when the agent stops
    assert.equal(existsSync(parentDir), false, `no cgroup left behind: ${unitCgroups().join(', ')}`);
  });

  it('runs, health-checks and announces a program as a unit, and serves its logs', async () => {
    const created = await request('POST', `${paz.orchestrator}/services`, {
      name: 'node-echo',
      dockerRepository: 'local/node-echo',
      command: [process.execPath, '-e', server],
      ports: [{ container: 9000 }],
      numInstances: 2,
      healthCheck: { path: '/', intervalSeconds: 0.5 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await request('POST', `${paz.orchestrator}/services/node-echo/deploy`, {})).status, 201);
    const units = await waitFor('both instances healthy', async () => {
      const us = (await request('GET', `${paz.orchestrator}/services/node-echo/units`)).body;
      return us.length === 2 && us.every((u: { healthy: boolean }) => u.healthy) ? us : undefined;
    });
    for (const u of units) {
      const res = await fetch(`http://${u.endpoint}/`);
      assert.equal(await res.text(), `hello from node-echo ${u.instance}\n`);
    }
    const endpoints = (await request('GET', `${paz.orchestrator}/cluster/endpoints`)).body;
    assert.deepEqual(Object.keys(endpoints['node-echo']['1']).sort(), ['1', '2']);
    const logs = await fetch(`${paz.orchestrator}/services/node-echo/units/node-echo-1-1/logs`);
    assert.match(await logs.text(), /listening on \d+/);
    const hosts = (await request('GET', `${paz.orchestrator}/cluster/hosts`)).body;
    assert.equal(hosts[0].driver, 'process');
  });

  it('paz deploy without --tag says when it would change the serving tag, and how to keep it; paz config set says how to roll out on the serving tag', async () => {
    const cli = (args: string[]) => runPaz(args, '', paz.cliEnv);
    // no router here: the drain lasts its whole drainSeconds
    assert.equal((await request('PATCH', `${paz.orchestrator}/services/node-echo/config/next`, { rollout: { drainSeconds: 1, minHealthySeconds: 1 } })).status, 200);
    const tagged = await cli(['deploy', 'node-echo', '--tag', '1', '--wait']);
    assert.equal(tagged.code, 0, tagged.stderr);
    assert.doesNotMatch(tagged.stderr, /note:/, 'a deploy that names its tag gets no note');
    // a config change is rolled out on the image that serves: the hint carries its tag
    const set = await cli(['config', 'set', 'node-echo', 'env.GREETING=hi']);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /^next config of node-echo changed; 'paz deploy node-echo --tag 1' rolls it out$/m);
    const untagged = await cli(['deploy', 'node-echo', '--wait']);
    assert.equal(untagged.code, 0, untagged.stderr);
    assert.match(untagged.stderr, /^note: version 2 of node-echo, which serves, runs :1; this deploy runs :latest \(its dockerRepository names no tag\)\. To deploy :1 again: paz deploy node-echo --tag 1$/m);
    assert.match(untagged.stdout, /^deploying node-echo version 3 \(local\/node-echo\)$/m, 'the note does not stop the deploy');
    // followed by default; with --json stdout is the deploy record alone, the progress goes to stderr
    const again = await cli(['deploy', 'node-echo', '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /note:/, 'the serving version runs :latest too: nothing to say');
    assert.match(again.stderr, /^node-echo version 4 is serving \(\d+ instances?\); old instances drained and stopped$/m);
    assert.equal(JSON.parse(again.stdout).version, 4);
  });

  it('paz restart replaces every instance with a fresh process of the serving version, followed to its end; history says so; a rollback goes past it', async () => {
    const cli = (args: string[]) => runPaz(args, '', paz.cliEnv);
    const pidsOf = async () => (await request('GET', `${paz.orchestrator}/services/node-echo/units`)).body.map((u: { name: string; containerId?: string; startedAt?: number }) => `${u.name}:${u.containerId}:${u.startedAt}`).sort();
    const before = await pidsOf();
    const r = await cli(['restart', 'node-echo']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^restarting node-echo: version 4 started afresh as version 5 \(local\/node-echo\)$/m);
    assert.match(r.stdout, /^node-echo version 5 is serving \(2 instances\); old instances drained and stopped$/m);
    const after = await pidsOf();
    assert.deepEqual(after.map((u: string) => u.split(':')[0]), ['node-echo-5-1', 'node-echo-5-2']);
    assert.equal(after.filter((u: string) => before.includes(u)).length, 0, `fresh instances: ${before} then ${after}`);
    const history = await cli(['history', 'node-echo']);
    assert.match(history.stdout, /^\s*5\b.*restart of v4.*serving/m);
    // a rollback goes to what ran before: past 4 (restarted by 5) and 3 (4 deployed it again, unchanged), to 2
    const back = await cli(['rollback', 'node-echo']);
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, /^rolling back node-echo: version 2's snapshot deployed as version 6 \(local\/node-echo:1\)$/m);
    const unknown = await cli(['restart', 'no-such-service']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no service named no-such-service/);
  });

  it("a chatty unit's log stays under 10 MB: the older part is kept in a .1, the unit writes on at the start of the file, paz logs shows its newest lines", async () => {
    // 12 MB at once, then a numbered line every 100 ms, as an app that logs a burst and goes on
    const chatty = `process.stdout.write(('x'.repeat(1023) + '\\n').repeat(12 * 1024)); let n = 0; setInterval(() => console.log('tick ' + ++n), 100); process.on('SIGTERM', () => process.exit(0));`;
    const created = await request('POST', `${paz.orchestrator}/services`, { name: 'chatty-log', dockerRepository: 'local/chatty-log', command: [process.execPath, '-e', chatty], numInstances: 1 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    try {
      assert.equal((await request('POST', `${paz.orchestrator}/services/chatty-log/deploy`, {})).status, 201);
      const log = join(paz.dataDir, 'process-driver', 'logs', 'chatty-log-1-1.out');
      await waitFor('the log rotated', async () => existsSync(`${log}.1`) || undefined, 30_000, 200);
      await waitFor('three ticks written after the rotation', async () => (readFileSync(log, 'utf8').match(/^tick \d+$/gm)?.length ?? 0) >= 3 || undefined, 10_000, 200);
      const current = readFileSync(log);
      console.log(`# chatty-log: ${current.length} bytes now, ${statSync(`${log}.1`).size} in .1`);
      assert.ok(current.length < 10 * 1024 * 1024, 'under the cap');
      assert.ok(statSync(`${log}.1`).size >= 10 * 1024 * 1024, 'the older part kept');
      assert.equal(current.indexOf(0), -1, 'no hole of zeros where the unit wrote on');
      const tail = await runPaz(['logs', 'chatty-log-1-1', '--tail', '3'], '', paz.cliEnv);
      assert.equal(tail.code, 0, tail.stderr);
      assert.match(tail.stdout, /^tick \d+\ntick \d+\ntick \d+\n$/);
    } finally {
      await request('DELETE', `${paz.orchestrator}/services/chatty-log`);
    }
  });

  it('paz units on a service whose first deploy failed says so, not "never deployed"', async () => {
    const cli = (args: string[]) => runPaz(args, '', paz.cliEnv);
    const created = await request('POST', `${paz.orchestrator}/services`, { name: 'exits-at-once', dockerRepository: 'local/exits', command: [process.execPath, '-e', 'process.exit(3)'], ports: [{ container: 9000 }] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const never = await cli(['units', 'exits-at-once']);
    assert.match(never.stdout + never.stderr, /exits-at-once has no units: it was never deployed/);
    const deployed = await cli(['deploy', 'exits-at-once']);
    assert.equal(deployed.code, 1, 'a deploy is followed by default, and a crash loop fails it');
    const r = await cli(['units', 'exits-at-once']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /^exits-at-once has no units: the deploy of version 1 failed and no earlier version serves \(`paz rollout exits-at-once` says why; a fix, then `paz deploy exits-at-once`\)$/m);
    // its logs: the unit is gone with its failed version, which is said, not "no unit named" (a typo)
    const logs = await cli(['logs', 'exits-at-once-1-1']);
    assert.equal(logs.code, 1);
    assert.match(logs.stderr, /exits-at-once-1-1 is gone: the deploy of version 1 of exits-at-once failed and its instances were removed; the last lines they printed are in the deploy's reason \(`paz rollout exits-at-once`\)/);
    await request('DELETE', `${paz.orchestrator}/services/exits-at-once`);
  });

  it('paz logs -f follows a unit through its restarts, and ends when the unit is gone', async () => {
    const created = await request('POST', `${paz.orchestrator}/services`, {
      name: 'blinker',
      dockerRepository: 'local/blinker',
      // each run prints its pid; it runs long enough (5 s) to count healthy (no ports: after 2 s, plus minHealthySeconds)
      command: [process.execPath, '-e', `console.log('run ' + process.pid); setTimeout(() => { console.log('bye ' + process.pid); process.exit(1); }, 5000);`],
      rollout: { minHealthySeconds: 1, drainSeconds: 1 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const cli = (args: string[]) => runPaz(args, '', paz.cliEnv);
    assert.equal((await cli(['deploy', 'blinker', '--wait'])).code, 0);
    // deleted once it has been followed through a restart
    const restarts = async () => ((await request('GET', `${paz.orchestrator}/cluster/units/blinker-1-1`)).body?.restarts ?? 0) as number;
    const before = await restarts();
    const following = cli(['logs', '-f', 'blinker-1']);
    await waitFor('blinker restarted', async () => (await restarts()) > before, 30_000, 200);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await request('DELETE', `${paz.orchestrator}/services/blinker`)).status, 204);
    const r = await following;
    assert.equal(r.code, 0, r.stderr);
    const runs = [...r.stdout.matchAll(/^run (\d+)$/gm)].map((m) => m[1]);
    assert.ok(runs.length >= 2, `the first run and its restart followed: ${r.stdout}`);
    assert.equal(new Set(runs).size, runs.length, `each run's output once: ${r.stdout}`);
    assert.match(r.stderr, /^--- blinker-1-1's output ended \(the app exited, or its host's agent went away\); following its next start, Ctrl-C to stop ---$/m);
    assert.match(r.stderr, /^--- blinker-1-1 started again \(restart \d+\) ---$/m);
    assert.match(r.stderr, /--- blinker-1-1 is gone \(its version was replaced or failed, or it was scaled down or deleted\) ---\n$/);
  });

  it('names each field of a log line once: a part logs its component, the role it runs in is another field', () => {
    const lines = paz.output.split('\n').filter((l) => l.startsWith('{'));
    const fields = lines.map(topLevelFields);
    // among them lines of parts that log below their role: the reconciler and the agent's API (agent)
    const components = new Set(lines.map((l) => (JSON.parse(l) as { component?: string }).component));
    for (const part of ['reconciler', 'paz-agent-api']) assert.ok(components.has(part), `log lines of ${part} at debug: ${[...components].join(', ')}`);
    assert.ok(fields.some((f) => f.includes('role') && f.includes('component')), 'a line with both its role and its component');
    const repeated = lines.map((l) => ({ l, twice: repeatedFields(l) })).filter((x) => x.twice.length > 0);
    assert.deepEqual(repeated.slice(0, 3).map((x) => `${x.twice.join(', ')} in ${x.l.slice(0, 200)}`), [], `${repeated.length} of ${lines.length} log lines name a field twice`);
  });
});

describe('paz up --driver auto where no Docker daemon answers', () => {
  const cgroupParent = `paz-e2e-auto-${process.pid}`;
  const paz = new PazProcess({ role: 'up', extraArgs: ['--driver', 'auto', '--no-router', '--agent-port', '0', '--cgroup-parent', cgroupParent], env: { DOCKER_HOST: `unix:///nonexistent/paz-test-${process.pid}/docker.sock` } });
  before(() => paz.start());
  after(async () => {
    await request('DELETE', `${paz.orchestrator}/services/made-for-docker`).catch(() => undefined);
    await paz.close();
  });

  it('says at start that units run as processes and how to run images; a service made for Docker fails saying why', async () => {
    // printed once the agent is up, which can be a moment after the APIs answer (and after "agent for host")
    const said = /no Docker daemon answered \(unix:\/\/\/nonexistent\/.*docker\.sock\), so units run as processes on this host; to run images, start dockerd \(scripts\/start-dockerd\.sh\) and start paz up again/;
    await waitFor('the agent up, and what it said', async () => /agent for host/.test(paz.output) && said.test(paz.output), 10_000, 50).catch(() => undefined);
    assert.match(paz.output, said);
    const created = await request('POST', `${paz.orchestrator}/services`, { name: 'made-for-docker', dockerRepository: '127.0.0.1:5000/paz/hello:1', ports: [{ container: 9000 }] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await request('POST', `${paz.orchestrator}/services/made-for-docker/deploy`, {})).status, 201);
    const failed = await waitFor('the deploy failed', async () => {
      const r = (await request('GET', `${paz.orchestrator}/services/made-for-docker/rollout`)).body?.doc as { state: string; reason?: string } | undefined;
      return r?.state === 'failed' ? r : undefined;
    }, 30_000, 200);
    // the tag is there unless the deploy pinned a digest (a registry answering on 127.0.0.1:5000), which a program drops
    assert.match(failed.reason ?? '', /IMAGE_NOT_FOUND: program "127\.0\.0\.1:5000\/paz\/hello(:1)?" is not an executable file on this host \(this host's agent runs units as processes and the service has no command, so its image was taken as the program: give the service a command, or run images on a host whose agent uses Docker\)/);
  });
});
