// Issue 11, "A restored control plane converges to the same running set", against what would break it: a
// backup taken while a rolling deploy is half-way. `paz up` on SQLite (process driver) deploys version 2 of a
// service whose instances listen only 4 s after they start, one at a time (maxSurge 1); `paz backup` is taken
// when version 2's first instance is healthy and its second still starting. The source stops (paz down) and
// the backup is restored twice: into etcd (`paz server` plus a new agent) and into a new SQLite data dir
// (`paz up`), the second after the healthy deadline of the units it caught starting (a restore used to fail
// such a deploy at once, "not healthy within 30 s: … not started", for no fault of the app). Each restored
// control plane must converge to one consistent running set: the deploy finishes as its record says
// (version 2 succeeds; version 1's instances go), no unit runs twice at any moment, the config versions,
// deploy records and journal are all there.
// test-lane: light slow
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PazProcess, pazBin, request, runPaz } from './helpers/paz-server.js';
import { freePort, tmpDir } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';
import { removeCgroupParent, unitProcessesIn, watchUnitsRunningTwice } from './helpers/procs.js';
import { slowServerCommand } from './helpers/ha-cluster.js';
import { parseBackup } from '../src/core/backup-format.js';
import { EtcdMember, findEtcdBinary } from '../src/store/etcd/local-etcd.js';

const skip = findEtcdBinary() === undefined && process.env.CI !== 'true' ? 'etcd is not installed (apt-get install etcd-server)' : false;

for (const name of ['PAZ_SECRETS_KEY', 'PAZ_DATA_DIR', 'PAZ_STORE', 'PAZ_URL', 'PAZ_TOKEN']) delete process.env[name];

const DEADLINE_S = 30;

interface RolloutDoc {
  version: number;
  state: string;
  serving: number;
  reason?: string;
  units: Array<{ name: string; version: number; state: string; healthy: boolean; draining?: boolean }>;
}

const rolloutOf = async (orchestrator: string): Promise<RolloutDoc> => (await request('GET', `${orchestrator}/services/mid/rollout`)).body.doc;

/** deploy keys and journal messages of a control plane, to compare with the backup's */
async function records(p: PazProcess): Promise<{ history: string[]; journal: string[] }> {
  const history = Object.keys((await request('GET', `${p.orchestrator}/services/mid/config/history`)).body.doc);
  const journal = ((await request('GET', `${p.scheduler}/journal?service=mid&all=true`)).body.doc as Array<{ event: string; version: number }>).map((e) => `${e.event} ${e.version}`);
  return { history, journal };
}

describe('a backup taken half-way through a rolling deploy, restored into etcd and into SQLite', { skip }, () => {
  const dir = skip ? '' : tmpDir('paz-backup-mid-');
  const file = join(dir, 'mid.backup');
  const cgroups = { source: `paz-bmid-src-${process.pid}`, etcd: `paz-bmid-etcd-${process.pid}`, sqlite: `paz-bmid-sqlite-${process.pid}` };
  const source = new PazProcess({ role: 'up', dataDir: join(dir, 'source'), extraArgs: ['--driver', 'process', '--no-router', '--agent-port', '0', '--cgroup-parent', cgroups.source] });
  let etcd: EtcdMember | undefined;
  let server: PazProcess | undefined;
  let agent: ChildProcess | undefined;
  let agentOutput = '';
  let restoredUp: PazProcess | undefined;
  let atBackup: RolloutDoc;
  let backedUp: { history: string[]; journal: string[] };
  let backedUpAt = 0;

  before(async () => {
    await source.start();
    const created = await request('POST', `${source.orchestrator}/services`, {
      name: 'mid',
      dockerRepository: 'local/mid',
      command: slowServerCommand(4000),
      ports: [{ container: 9000 }],
      numInstances: 2,
      // no health check: the default probe (an HTTP answer on the port)
      // a short deadline, so the SQLite restore below can come after it (as a restore of last night's backup would)
      rollout: { maxSurge: 1, drainSeconds: 1, stopGraceSeconds: 2, healthyDeadlineSeconds: DEADLINE_S },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await request('POST', `${source.orchestrator}/services/mid/deploy`, {})).status, 201);
    await waitFor('version 1 serving', async () => {
      const r = await rolloutOf(source.orchestrator);
      return r.state === 'succeeded' && r.units.length === 2 && r.units.every((u) => u.version === 1 && u.healthy && !u.draining) ? r : undefined;
    }, 90_000);
  });

  after(async () => {
    for (const p of [server, restoredUp]) {
      if (p?.child) await request('DELETE', `${p.orchestrator}/services/mid`).catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 1000));
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
    await server?.close();
    if (restoredUp) await runPaz(['down', '--data-dir', restoredUp.dataDir, '--grace', '2']);
    await restoredUp?.close();
    await runPaz(['down', '--data-dir', source.dataDir, '--grace', '2']);
    await source.close();
    await etcd?.stop();
    for (const c of Object.values(cgroups)) await removeCgroupParent(c);
    rmSync(dir, { recursive: true, force: true });
  });

  it('backs up while version 2 is half-way (one instance healthy, one starting), then stops the source', async () => {
    assert.equal((await request('POST', `${source.orchestrator}/services/mid/deploy`, {})).status, 201);
    atBackup = await waitFor('version 2 half-way', async () => {
      const r = await rolloutOf(source.orchestrator);
      const v2 = r.units.filter((u) => u.version === 2);
      return r.version === 2 && r.state === 'deploying' && v2.length === 2 && v2.filter((u) => u.healthy).length === 1 && v2.some((u) => !u.healthy && u.state !== 'held' && u.state !== 'unplaced') ? r : undefined;
    }, 60_000, 100);
    const backup = await runPaz(['backup', file, '--data-dir', source.dataDir]);
    backedUpAt = Date.now();
    assert.equal(backup.code, 0, backup.stdout + backup.stderr);
    const stateThen = await rolloutOf(source.orchestrator);
    console.log(`# at the backup: version ${atBackup.version} ${atBackup.state}, serving ${atBackup.serving}; ${atBackup.units.map((u) => `${u.name} ${u.state}${u.healthy ? ' healthy' : ''}${u.draining ? ' draining' : ''}`).join(', ')}`);
    console.log(`# ${backup.stdout.trim()}`);
    assert.equal(stateThen.state, 'deploying', 'still half-way after the backup');
    const parsed = parseBackup(readFileSync(file, 'utf8'));
    const desired = parsed.entries.filter((e) => e.key.startsWith('/paz/units/desired/')).map((e) => JSON.parse(e.value) as { unit: string });
    assert.deepEqual(desired.map((u) => u.unit).sort(), ['mid-1-1', 'mid-1-2', 'mid-2-1', 'mid-2-2'], 'both versions are in the backup');
    backedUp = await records(source);
    const down = await runPaz(['down', '--data-dir', source.dataDir, '--grace', '2']);
    assert.equal(down.code, 0, down.stdout + down.stderr);
    assert.deepEqual(unitProcessesIn([cgroups.source]), [], 'the source runs nothing any more');
  });

  /** the restored plane converges: version 2 succeeded, its 2 instances alone, healthy and answering, none twice, records kept */
  async function converges(p: PazProcess, cgroup: string, label: string): Promise<void> {
    const started = Date.now();
    const twice = watchUnitsRunningTwice([cgroup]);
    const final = await waitFor(`${label}: version 2 serving alone`, async () => {
      const r = await rolloutOf(p.orchestrator);
      return r.version === 2 && r.state !== 'deploying' && r.units.length === 2 && r.units.every((u) => u.healthy && !u.draining) ? r : undefined;
    }, 120_000);
    const procs = await waitFor(`${label}: 2 unit processes left`, async () => {
      const ps = unitProcessesIn([cgroup]);
      return ps.length === 2 ? ps : undefined;
    }, 30_000);
    const dupes = twice.stop();
    const kept = await records(p);
    console.log(`# ${label}: converged in ${((Date.now() - started) / 1000).toFixed(1)} s: version ${final.version} ${final.state} (${final.reason ?? ''}), serving ${final.serving}; units ${final.units.map((u) => u.name).join(', ')}; processes ${procs.sort().join(', ')}; ran twice: ${dupes.length}`);
    assert.equal(final.state, 'succeeded', `the deploy finishes as its record says: ${final.reason}`);
    assert.equal(final.serving, 2);
    assert.deepEqual(final.units.map((u) => u.name).sort(), ['mid-2-1', 'mid-2-2'], 'the same units, placed again');
    assert.deepEqual(procs.sort(), ['mid-2-1', 'mid-2-2']);
    assert.deepEqual(dupes, [], 'no unit ran twice');
    assert.deepEqual(kept.history, backedUp.history, 'every config version restored');
    for (const e of backedUp.journal) assert.ok(kept.journal.includes(e), `journal entry "${e}" restored: ${kept.journal.join(', ')}`);
    assert.ok(kept.journal.includes('deploy-succeeded 2'), `the restored plane journals the finish: ${kept.journal.join(', ')}`);
  }

  it('restored into etcd: paz server and a new agent finish the deploy', async () => {
    etcd = EtcdMember.start({ name: 'mid', dataDir: join(dir, 'etcd'), logFile: join(dir, 'etcd.log'), clientPort: await freePort(), peerPort: await freePort() });
    await etcd.waitUntilHealthy();
    const url = `etcd://${etcd.endpoint}`;
    const serverDir = join(dir, 'server');
    const keyFile = join(source.dataDir, 'secrets.key');
    const restored = await runPaz(['restore', file, '--store', url, '--data-dir', serverDir, ...(existsSync(keyFile) ? ['--secrets-key', keyFile] : [])]);
    assert.equal(restored.code, 0, restored.stdout + restored.stderr);
    server = new PazProcess({ dataDir: serverDir, extraArgs: ['--store', url, '--host-loss-grace', '1'] });
    await server.start();
    const token = readFileSync(join(serverDir, 'cluster-token'), 'utf8').trim();
    agent = spawn(process.execPath, [pazBin, 'agent', '--store', url, '--data-dir', join(dir, 'agent'), '--driver', 'process', '--no-router', '--agent-port', '0', '--cluster-token', token, '--cgroup-parent', cgroups.etcd, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    agent.stdout!.on('data', (d) => (agentOutput += d));
    agent.stderr!.on('data', (d) => (agentOutput += d));
    await converges(server, cgroups.etcd, 'SQLite -> etcd').catch((err) => {
      throw new Error(`${(err as Error).message}\nserver:\n${server!.output.slice(-4000)}\nagent:\n${agentOutput.slice(-4000)}`);
    });
  });

  it('restored into a new SQLite data dir after the deploy\'s deadline has passed: paz up finishes the deploy', async () => {
    // the backup is older than the healthy deadline of the units it caught starting
    const wait = backedUpAt + (DEADLINE_S + 5) * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    console.log(`# restoring into SQLite ${((Date.now() - backedUpAt) / 1000).toFixed(1)} s after the backup (deadline ${DEADLINE_S} s)`);
    const target = join(dir, 'restored');
    const keyFile = join(source.dataDir, 'secrets.key');
    const restored = await runPaz(['restore', file, '--data-dir', target, ...(existsSync(keyFile) ? ['--secrets-key', keyFile] : [])]);
    assert.equal(restored.code, 0, restored.stdout + restored.stderr);
    assert.match(restored.stdout, /unit\(s\) of a deploy under way at backup time start afresh: mid-2-/, 'paz restore says which units start afresh');
    restoredUp = new PazProcess({ role: 'up', dataDir: target, extraArgs: ['--driver', 'process', '--no-router', '--agent-port', '0', '--cgroup-parent', cgroups.sqlite, '--host-loss-grace', '1'] });
    await restoredUp.start();
    await converges(restoredUp, cgroups.sqlite, 'SQLite -> SQLite').catch((err) => {
      throw new Error(`${(err as Error).message}\npaz up:\n${restoredUp!.output.slice(-4000)}`);
    });
  });
});
