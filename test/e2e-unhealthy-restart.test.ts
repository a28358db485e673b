// An app whose health check starts failing while it runs (a deadlock, a lost database connection): its agent
// restarts it after `unhealthyThreshold` failed checks, and once it is healthy again the unit still says why it
// last restarted (the failed check's words), in its API answer and in `paz units`; the restart of an OOM kill is
// e2e-oom-restart's. And a Node.js app that throws at start: its reason quotes the error, not the stack and version
// line Node prints after it. On `paz up --driver process`: real processes, no Docker needed.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PazProcess, request, runPaz } from './helpers/paz-server.js';
import { waitFor } from './helpers/wait.js';

// its first run answers /health for 3 s, then 503 ("database connection lost"); a run that finds the marker its
// first run left answers 200 for good
const program = `
const fs = require('node:fs');
const marker = process.env.MARKER;
const first = !fs.existsSync(marker);
fs.writeFileSync(marker, 'ran');
const since = Date.now();
require('node:http').createServer((req, res) => {
  if (req.url === '/health' && first && Date.now() - since > 3000) { res.statusCode = 503; return res.end('database connection lost'); }
  res.end('ok');
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

interface UnitView {
  name: string;
  healthy: boolean;
  restarts: number;
  reason?: string;
  lastRestart?: { at: number; why: string };
}

describe('a unit restarted for failing its health check says why once it is healthy again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paz-unhealthy-'));
  // process units run as an unprivileged user (core/unit-user.ts): the app writes its marker here
  chmodSync(dir, 0o777);
  const paz = new PazProcess({ role: 'up', extraArgs: ['--driver', 'process', '--no-router', '--agent-port', '0', '--cgroup-parent', `paz-e2e-unhealthy-${process.pid}`] });

  before(async () => {
    await paz.start();
    const created = await request('POST', `${paz.orchestrator}/services`, {
      name: 'flaky',
      dockerRepository: 'local/flaky',
      command: [process.execPath, '-e', program],
      env: { MARKER: join(dir, 'marker') },
      ports: [{ container: 9000 }],
      healthCheck: { path: '/health', intervalSeconds: 0.5, timeoutSeconds: 1, unhealthyThreshold: 2 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });

  after(async () => {
    for (const name of ['flaky', 'thrower']) await request('DELETE', `${paz.orchestrator}/services/${name}`).catch(() => undefined);
    await waitFor('the agent to retire its units', async () => /paz_agent_units 0\b/.test(await (await fetch(`${paz.orchestrator}/metrics`)).text()));
    await paz.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lastRestart carries the failed check, in the API and in paz units', async () => {
    const deployed = await runPaz(['deploy', 'flaky'], '', paz.cliEnv);
    assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
    const unit = await waitFor('flaky-1-1 restarted and healthy again', async () => {
      const [u] = (await request('GET', `${paz.orchestrator}/services/flaky/units`)).body as UnitView[];
      return u && u.restarts >= 1 && u.healthy ? u : undefined;
    }, 60_000, 250);
    console.log(`# after ${unit.restarts} restart(s): ${JSON.stringify(unit.lastRestart)}`);
    assert.equal(unit.restarts, 1, 'restarted once: the second run stays healthy');
    assert.equal(unit.reason, undefined, 'healthy again: no reason of its own');
    assert.match(unit.lastRestart?.why ?? '', /^unhealthy: GET \/health answered 503: database connection lost$/, 'with what the app said');
    const table = await runPaz(['units', 'flaky'], '', paz.cliEnv);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^flaky-1-1\.service .* healthy +1 .*last restart \d+ s ago: unhealthy: /m);
  });

  it("a Node.js app that throws at start: the reason and the kept output quote the error's message, not `Node.js v20…`", async () => {
    const created = await request('POST', `${paz.orchestrator}/services`, {
      name: 'thrower',
      dockerRepository: 'local/thrower',
      command: [process.execPath, '-e', "require('node:fs').readFileSync('/nonexistent/config.yml')"],
      numInstances: 1,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await request('POST', `${paz.orchestrator}/services/thrower/deploy`, {})).status, 201);
    const exited = await waitFor('the unit to exit', async () => {
      const [u] = (await request('GET', `${paz.orchestrator}/services/thrower/units`)).body as Array<UnitView & { lastOutput?: string[] }>;
      return u && /exited with code 1/.test(u.reason ?? '') ? u : undefined;
    }, 30_000, 200);
    console.log(`# thrower: reason=${JSON.stringify(exited.reason)} lastOutput=${JSON.stringify(exited.lastOutput)}`);
    assert.match(exited.reason ?? '', /^exited with code 1: Error: ENOENT: no such file or directory, open '\/nonexistent\/config\.yml'/);
    // its kept output (the dashboard's "last output") begins with the message too, not with the stack's end
    assert.equal(exited.lastOutput?.length, 10, 'ten lines kept');
    assert.match(exited.lastOutput?.[0] ?? '', /^Error: ENOENT: no such file or directory/);
    assert.match(exited.lastOutput?.[1] ?? '', /^ +at /, 'then the first frames');
    assert.match(exited.lastOutput?.at(-1) ?? '', /^… \d+ more lines \(paz logs shows them\)$/, 'and how many lines follow (the rest of the stack, `Node.js v…`)');
  });
});
