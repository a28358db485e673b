// Issue 11, backup and restore: a single-host install on SQLite (`paz up`, process driver) moves to etcd by
// `paz backup` and `paz restore`, and the restored control plane (`paz server` on etcd plus an agent on a new
// data dir) converges to the same running set: the same units, running the same versions with the same
// config, their secret env values opened with the same key, answering again. The old host is not resurrected.
// test-lane: light slow
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PazProcess, pazBin, request, runPaz } from './helpers/paz-server.js';
import { freePort, tmpDir } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';
import { EtcdMember, findEtcdBinary } from '../src/store/etcd/local-etcd.js';

const skip = findEtcdBinary() === undefined && process.env.CI !== 'true' ? 'etcd is not installed (apt-get install etcd-server)' : false;

const secret = `s3cret-${process.pid}-${Date.now()}`;
const secretHash = createHash('sha256').update(secret).digest('hex').slice(0, 12);
// answers with what identifies its unit and config: service, instance, MODE and a hash of its secret
const program = `
const h = require('node:crypto').createHash('sha256').update(process.env.SECRET || 'none').digest('hex').slice(0, 12);
require('node:http').createServer((q, s) => s.end(process.env.PAZ_SERVICE + ' ' + process.env.PAZ_INSTANCE + ' ' + process.env.MODE + ' ' + h + '\\n'))
  .listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

interface UnitView {
  name: string;
  endpoint: string;
  host: string;
  healthy: boolean;
}

async function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  const r = await runPaz(args);
  return { code: r.code, out: r.stdout + r.stderr };
}

/** unit name -> what it answers, for every service, once every unit of each is healthy and only `expected[svc]` of them */
async function runningSet(orchestrator: string, expected: Record<string, number>): Promise<Map<string, string>> {
  return waitFor('every unit healthy and answering', async () => {
    const set = new Map<string, string>();
    for (const [svc, count] of Object.entries(expected)) {
      const r = await request('GET', `${orchestrator}/services/${svc}/units`);
      const units = r.body as UnitView[];
      if (r.status !== 200 || units.length !== count || !units.every((u) => u.healthy && u.endpoint)) return undefined;
      for (const u of units) {
        const text = await fetch(`http://${u.endpoint}/`, { signal: AbortSignal.timeout(2000) }).then((res) => res.text(), () => undefined);
        if (text === undefined) return undefined;
        set.set(u.name, text.trim());
      }
    }
    return set;
  }, 90_000);
}

describe('moving a paz up install from SQLite to etcd with backup and restore', { skip }, () => {
  const dir = tmpDir('paz-move-');
  const cgroupParent = `paz-backup-test-${process.pid}`;
  const file = join(dir, 'move.backup');
  const source = new PazProcess({ role: 'up', dataDir: join(dir, 'source'), extraArgs: ['--driver', 'process', '--no-router', '--agent-port', '0', '--cgroup-parent', cgroupParent] });
  let etcd: EtcdMember | undefined;
  let server: PazProcess | undefined;
  let agent: ChildProcess | undefined;
  let agentOutput = '';
  let agentPort = 0;
  let clusterToken = '';
  let before_: Map<string, string>;
  let oldHost = '';

  before(async () => {
    await source.start();
    const post = async (url: string, body: unknown) => {
      const r = await request('POST', url, body);
      assert.equal(r.status, 201, `${url}: ${JSON.stringify(r.body)}`);
    };
    const spec = (name: string, n: number, mode: string) => ({
      name, dockerRepository: `local/${name}`, command: [process.execPath, '-e', program], ports: [{ container: 9000 }], numInstances: n,
      healthCheck: { path: '/', intervalSeconds: 0.5 }, env: { MODE: mode, SECRET: { secret } },
    });
    await post(`${source.orchestrator}/services`, spec('alpha', 2, 'a1'));
    await post(`${source.orchestrator}/services/alpha/deploy`, {});
    await post(`${source.orchestrator}/services`, spec('beta', 1, 'b1'));
    await post(`${source.orchestrator}/services/beta/deploy`, {});
    await runningSet(source.orchestrator, { alpha: 2, beta: 1 });
    // beta's second version replaces its first
    assert.equal((await request('PATCH', `${source.orchestrator}/services/beta/config/next`, { env: { MODE: 'b2', SECRET: { secret } } })).status, 200);
    await post(`${source.orchestrator}/services/beta/deploy`, {});
    await waitFor('beta version 2 serving alone', async () => {
      const units = (await request('GET', `${source.orchestrator}/services/beta/units`)).body as UnitView[];
      return units.length === 1 && units[0].name === 'beta-2-1' && units[0].healthy;
    }, 60_000);
    before_ = await runningSet(source.orchestrator, { alpha: 2, beta: 1 });
    oldHost = ((await request('GET', `${source.orchestrator}/cluster/hosts`)).body as Array<{ ID: string }>)[0].ID;
  });

  after(async () => {
    if (server) {
      for (const svc of ['alpha', 'beta']) await request('DELETE', `${server.orchestrator}/services/${svc}`).catch(() => undefined);
      if (agent && agent.exitCode === null) {
        await waitFor('the agent to retire its units', async () => /paz_agent_units 0\b/.test(await (await fetch(`http://127.0.0.1:${agentPort}/metrics`, { headers: { authorization: `Bearer ${clusterToken}` } })).text()), 30_000).catch(() => undefined);
      }
    }
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
    await server?.close();
    // the source's units, if the test stopped before paz down did
    await cli(['down', '--data-dir', source.dataDir, '--grace', '2']);
    await source.close();
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('backs up the running install, refuses to restore over it while it runs, and stops it', async () => {
    const backup = await cli(['backup', file, '--data-dir', source.dataDir]);
    assert.equal(backup.code, 0, backup.out);
    assert.equal(readFileSync(file, 'utf8').includes(secret), false, 'the secret is sealed in the file');
    const over = await cli(['restore', file, '--data-dir', source.dataDir, '--force']);
    assert.equal(over.code, 1, over.out);
    assert.match(over.out, /paz up \(pid \d+\) runs on data dir .*source: a restore is offline; stop it first \(paz down --data-dir/);
    // the old host goes away with everything it ran: the restored cluster must start the units itself
    const down = await cli(['down', '--data-dir', source.dataDir, '--grace', '2']);
    assert.equal(down.code, 0, down.out);
    for (const text of before_.values()) assert.ok(text.length > 0);
  });

  it('restores into etcd, and paz server with a new agent runs the same units again', async () => {
    etcd = EtcdMember.start({ name: 'move', dataDir: join(dir, 'etcd'), logFile: join(dir, 'etcd.log'), clientPort: await freePort(), peerPort: await freePort() });
    await etcd.waitUntilHealthy();
    const url = `etcd://${etcd.endpoint}`;
    const serverDir = join(dir, 'server');
    const restored = await cli(['restore', file, '--store', url, '--data-dir', serverDir, '--secrets-key', join(source.dataDir, 'secrets.key')]);
    assert.equal(restored.code, 0, restored.out);
    assert.match(restored.out, /restored \d+ keys into etcd:\/\/.* \(2 services, 3 config versions/);

    server = new PazProcess({ dataDir: serverDir, extraArgs: ['--store', url, '--host-loss-grace', '1'] });
    await server.start();
    clusterToken = readFileSync(join(serverDir, 'cluster-token'), 'utf8').trim();
    agentPort = await freePort();
    agent = spawn(process.execPath, [
      pazBin, 'agent', '--store', url, '--data-dir', join(dir, 'agent'), '--driver', 'process', '--no-router', '--agent-port', String(agentPort),
      '--cluster-token', clusterToken, '--cgroup-parent', cgroupParent, '--log-level', 'warn',
    ], { env: { ...process.env, PAZ_SECRETS_KEY: readFileSync(join(source.dataDir, 'secrets.key'), 'utf8').trim() }, stdio: ['ignore', 'pipe', 'pipe'] });
    agent.stdout!.on('data', (d) => (agentOutput += d));
    agent.stderr!.on('data', (d) => (agentOutput += d));

    const after_ = await runningSet(server.orchestrator, { alpha: 2, beta: 1 }).catch((err) => {
      throw new Error(`${(err as Error).message}\nserver:\n${server!.output}\nagent:\n${agentOutput}`);
    });
    assert.deepEqual([...after_.entries()].sort(), [...before_.entries()].sort(), 'the same units answer the same: version, config, secret');
    assert.deepEqual([...after_.keys()].sort(), ['alpha-1-1', 'alpha-1-2', 'beta-2-1']);
    for (const text of after_.values()) assert.match(text, new RegExp(` ${secretHash}$`), 'the secret env value opened with the restored key');
    const hosts = (await request('GET', `${server.orchestrator}/cluster/hosts`)).body as Array<{ ID: string }>;
    assert.equal(hosts.length, 1, 'only the live agent is a host');
    assert.ok(oldHost !== '' && hosts[0].ID !== oldHost, 'the old host is not resurrected');
    const beta = (await request('GET', `${server.orchestrator}/services/beta/config/history`)).body;
    assert.deepEqual(Object.keys(beta.doc), ['1', '2'], 'the config history came along');
  });
});
