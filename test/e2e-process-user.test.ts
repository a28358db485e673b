// Issue 9: the process driver runs a unit's API-supplied command as an unprivileged user (`nobody` unless the
// host's admin passes --unit-user), and the unit cannot read what the agent keeps in its data dir.
// test-lane: normal
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PazProcess, request } from './helpers/paz-server.js';
import { waitFor } from './helpers/wait.js';

/** A unit that tries to read the agent's secrets key and its store, prints what happened, then serves HTTP. */
const probe = (dataDir: string) => `
const fs = require('node:fs');
for (const f of [${JSON.stringify(join(dataDir, 'secrets.key'))}, ${JSON.stringify(join(dataDir, 'paz.db'))}]) {
  try { fs.readFileSync(f); console.log('READ ' + f); } catch (e) { console.log('DENIED ' + e.code + ' ' + f); }
}
try { fs.writeFileSync('own-file', 'x'); console.log('WORKDIR writable'); } catch (e) { console.log('WORKDIR ' + e.code); }
require('node:http').createServer((q, s) => s.end('ok\\n')).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

/** Uid and Gid lines of /proc/<pid>/status: [real, effective, saved, fs]. */
function ids(pid: number): { uid: number[]; gid: number[] } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const line = (k: string) => status.match(new RegExp(`^${k}:\\s+(.*)$`, 'm'))![1].split(/\s+/).map(Number);
  return { uid: line('Uid'), gid: line('Gid') };
}

async function runProbeUnit(paz: PazProcess): Promise<{ pid: number; log: string }> {
  const created = await request('POST', `${paz.orchestrator}/services`, {
    name: 'who-am-i',
    dockerRepository: 'local/who-am-i',
    command: [process.execPath, '-e', probe(paz.dataDir)],
    ports: [{ container: 9000 }],
    healthCheck: { path: '/', intervalSeconds: 0.5 },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal((await request('POST', `${paz.orchestrator}/services/who-am-i/deploy`, {})).status, 201);
  const unit = await waitFor('the unit healthy', async () => {
    const [u] = (await request('GET', `${paz.orchestrator}/services/who-am-i/units`)).body;
    return u?.healthy ? u : undefined;
  });
  const log = await (await fetch(`${paz.orchestrator}/services/who-am-i/units/${unit.name}/logs`)).text();
  return { pid: Number(unit.containerId), log };
}

async function stop(paz: PazProcess): Promise<void> {
  // units outlive their agent on purpose: retire them first
  await request('DELETE', `${paz.orchestrator}/services/who-am-i`).catch(() => undefined);
  await waitFor('the agent to retire its units', async () => /paz_agent_units 0\b/.test(await (await fetch(`${paz.orchestrator}/metrics`)).text()));
  await paz.close();
}

const processArgs = (tag: string) => ['--driver', 'process', '--no-router', '--agent-port', '0', '--cgroup-parent', `paz-user-test-${tag}-${process.pid}`];
const skipUnlessRoot = { skip: process.getuid?.() === 0 ? false : 'needs root: only root can run units as another user' };

describe('process-driver units run as an unprivileged user', skipUnlessRoot, () => {
  const paz = new PazProcess({ role: 'up', extraArgs: processArgs('nobody') });
  after(() => stop(paz));

  it('by default as nobody, unable to read the agent\'s secrets key and store, in a working dir of its own', async () => {
    await paz.start();
    assert.equal(statSync(paz.dataDir).mode & 0o777, 0o700, 'the data dir is the agent\'s alone');
    const { pid, log } = await runProbeUnit(paz);
    const { uid, gid } = ids(pid);
    assert.deepEqual(uid, [65534, 65534, 65534, 65534], `Uid of the unit's process: ${uid}`);
    assert.deepEqual(gid, [65534, 65534, 65534, 65534], `Gid of the unit's process: ${gid}`);
    assert.match(log, /DENIED EACCES .*secrets\.key/);
    assert.match(log, /DENIED EACCES .*paz\.db/);
    assert.doesNotMatch(log, /^READ /m);
    assert.match(log, /WORKDIR writable/);
  });
});

describe('--unit-user root: the admin\'s explicit choice', skipUnlessRoot, () => {
  const paz = new PazProcess({ role: 'up', extraArgs: [...processArgs('root'), '--unit-user', 'root'] });
  after(() => stop(paz));

  it('runs units as root and says so loudly', async () => {
    await paz.start();
    const { pid, log } = await runProbeUnit(paz);
    assert.deepEqual(ids(pid).uid, [0, 0, 0, 0]);
    assert.match(log, /^READ .*secrets\.key/m, 'root reads everything: that is why it is not the default');
    await waitFor('the warning in the log', async () => /process units run as uid 0 gid 0, with root's power/.test(paz.output) || undefined, 10_000);
  });
});

describe('a wrong --unit-user stops the agent before it runs anything', skipUnlessRoot, () => {
  it('names the user that does not exist', async () => {
    const paz = new PazProcess({ role: 'up', extraArgs: [...processArgs('ghost'), '--unit-user', 'no-such-user-here'] });
    await assert.rejects(() => paz.start(), /no user "no-such-user-here"/);
    await paz.close();
  });
});
