// test-lane: light slow
/**
 * A process-driver unit that ignores SIGTERM, being retired when its agent stops. The agent does not wait out
 * the unit's stop grace at shutdown (a SIGTERMed `paz up` that waited minutes looked hung and was killed -9,
 * its router left behind), and the process driver has no SIGKILL timer outside the agent (dockerd has one for
 * a container): the unit runs on after `paz up` exits. The next start must remove it, since it is no longer
 * desired: a SIGTERM, the adopted-instance grace (10 s: its own grace is no longer known), then SIGKILL.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PazProcess, request } from './helpers/paz-server.js';
import { tmpDir } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';
import { pidsWithEnv, removeCgroupParent, unitProcessesIn } from './helpers/procs.js';

const SERVICE = 'stubborn';

// says in its output that it had the SIGTERM, and goes on serving
const program = `
require('node:http').createServer((q, s) => s.end('still here\\n')).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => console.log('SIGTERM ignored'));
`;

describe('a unit that ignores SIGTERM while its agent stops', () => {
  const dir = tmpDir('paz-outlives-');
  const cgroupParent = `paz-outlives-${process.pid}`;
  /** the unit's output as the process driver keeps it (its log file in the agent's state dir) */
  const output = (): string => {
    const log = readdirSync(join(dir, 'paz'), { recursive: true, encoding: 'utf8' }).find((f) => f.endsWith(`logs/${SERVICE}-1-1.out`));
    return log ? readFileSync(join(dir, 'paz', log), 'utf8') : '';
  };
  const paz = new PazProcess({ role: 'up', dataDir: join(dir, 'paz'), extraArgs: ['--driver', 'process', '--no-router', '--agent-port', '0', '--cgroup-parent', cgroupParent, '--log-level', 'info'] });
  const api = (method: string, path: string, body?: unknown) => request(method, `${paz.orchestrator}${path}`, body);
  const running = () => unitProcessesIn([cgroupParent]).filter((u) => u.startsWith(`${SERVICE}-`));

  after(async () => {
    await paz.close();
    // should the test fail before the next start removed the unit: it ends here with its cgroup
    await removeCgroupParent(cgroupParent);
  });

  it('runs on after `paz up` stops, and the next start removes it', async () => {
    await paz.start();
    const created = await api('POST', '/services', {
      name: SERVICE,
      dockerRepository: `local/${SERVICE}`,
      command: [process.execPath, '-e', program],
      ports: [{ container: 9000 }],
      // a long grace: the agent's shutdown ends well within it
      rollout: { minHealthySeconds: 0, drainSeconds: 0, stopGraceSeconds: 120 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await api('POST', `/services/${SERVICE}/deploy`, {})).status, 201);
    await waitFor('the unit healthy', async () => {
      const u = (await api('GET', `/services/${SERVICE}/units`)).body as Array<{ name: string; healthy: boolean }>;
      return u.length === 1 && u[0].healthy;
    }, 30_000);
    const [pid] = pidsWithEnv('PAZ_UNIT', `${SERVICE}-1-1`);
    assert.ok(pid, 'the unit runs as a process');

    // deleted: its retirement begins (SIGTERM, then up to 120 s); the agent stops while it waits
    assert.equal((await api('DELETE', `/services/${SERVICE}`)).status, 204);
    await waitFor('the unit had its SIGTERM', async () => output().includes('SIGTERM ignored'), 30_000, 50);
    assert.equal(await paz.stop(), 0, 'paz up stops cleanly without waiting out the 120 s grace');
    assert.deepEqual(running(), [`${SERVICE}-1-1`], 'the unit runs on after its agent stopped');
    assert.deepEqual(pidsWithEnv('PAZ_UNIT', `${SERVICE}-1-1`), [pid], 'the same process');

    // the next start finds it, no longer desired, and removes it: SIGTERM (ignored again), 10 s, SIGKILL
    await paz.start();
    await waitFor('the leftover unit removed', async () => running().length === 0, 40_000, 100);
    // (gone, or a zombie: it ended, its parent (the stopped agent) is not there to reap it)
    assert.deepEqual(pidsWithEnv('PAZ_UNIT', `${SERVICE}-1-1`), [], 'the process is gone');
    assert.match(paz.output, /removing an instance that is no longer desired/);
  });
});
