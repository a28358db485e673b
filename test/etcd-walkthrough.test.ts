// Paz on a real etcd (`paz server --store etcd://…`): the seed README's literal
// `etcdctl get /paz/services/paz-service-directory` answers, and the API works the same as on SQLite.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { EtcdMember, findEtcdBinary } from '../src/store/etcd/local-etcd.js';
import { PazProcess, request } from './helpers/paz-server.js';
import { freePort, tmpDir } from './helpers/env.js';

const run = promisify(execFile);
const skip = findEtcdBinary() === undefined && process.env.CI !== 'true' ? 'etcd is not installed (apt-get install etcd-server etcd-client)' : false;

describe('paz server on etcd', { skip }, () => {
  let etcd: EtcdMember;
  let paz: PazProcess;
  const etcdctl = (...args: string[]) => run('etcdctl', [`--endpoints=${etcd.endpoint}`, ...args], { env: { ...process.env, ETCDCTL_API: '3' } });

  before(async () => {
    const dir = tmpDir('paz-etcd-');
    etcd = EtcdMember.start({ name: 'walkthrough', dataDir: join(dir, 'data'), logFile: join(dir, 'etcd.log'), clientPort: await freePort(), peerPort: await freePort() });
    await etcd.waitUntilHealthy();
    paz = new PazProcess({ extraArgs: ['--store', `etcd://${etcd.endpoint}`] });
    await paz.start();
  });
  after(async () => {
    await paz?.close();
    await etcd?.stop();
  });

  it('answers `etcdctl get /paz/services/paz-service-directory` with its host:port, as in the seed README', async () => {
    const { stdout } = await etcdctl('get', '/paz/services/paz-service-directory', '--print-value-only');
    assert.equal(stdout.trim(), `127.0.0.1:${paz.ports.directory}`);
    const scheduler = await etcdctl('get', '/paz/services/paz-scheduler', '--print-value-only');
    assert.equal(scheduler.stdout.trim(), `127.0.0.1:${paz.ports.scheduler}`);
  });

  it('creates, deploys and keeps history on etcd', async () => {
    const created = await request('POST', `${paz.directory}/services`, { name: 'contrived-service-1', description: 'Test service', dockerImage: 'lukebond/contrived-service-1', ports: [{ container: 9000, host: 80 }], numInstances: 1 });
    assert.equal(created.status, 201);
    assert.equal(created.body.meta.name, 'contrived-service-1');
    const hook = await request('POST', `${paz.scheduler}/hooks/deploy`, { serviceName: 'contrived-service-1', dockerRepository: 'lukebond/contrived-service-1:0.0.1', pushedAt: 0 });
    assert.deepEqual(hook.body, { statusCode: 200 });
    const units = await request('GET', `${paz.orchestrator}/cluster/units`);
    assert.deepEqual(units.body.map((u: { name: string; state: string }) => [u.name, u.state]), [['contrived-service-1-1-1', 'unplaced']]);
    const history = await request('GET', `${paz.orchestrator}/services/contrived-service-1/config/history`);
    assert.deepEqual(Object.keys(history.body.doc), ['1']);
    const journal = await etcdctl('get', '--prefix', '/paz/scheduler/journal/', '--keys-only');
    assert.match(journal.stdout, /contrived-service-1-1-deploy/);
  });

  it('keeps everything across a kill -9 of the server', async () => {
    await paz.kill();
    await paz.start();
    const svc = await request('GET', `${paz.orchestrator}/services/contrived-service-1`);
    assert.equal(svc.status, 200);
    assert.equal((await request('GET', `${paz.scheduler}/config/contrived-service-1/version/1`)).status, 200);
  });
});
