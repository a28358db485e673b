// test-lane: light
/**
 * A store that runs out of space: the disk under SQLite fills up, or etcd's database reaches its space quota
 * (etcd's NOSPACE alarm, 2 GiB by default: a real cluster's classic outage). Writes are refused; Paz must say
 * so, in the API's terms and with the operator's fix (507 PAZ_STORE_FULL), never a 500 "internal error", never
 * "cannot reach the store's quorum" or "the write may have been made"; reads keep working; every write that was
 * acknowledged is there; and once the operator makes room, writes work again with no restart.
 * - SQLite: `paz server` runs in a mount namespace of its own whose data dir is a small tmpfs (it goes when the
 *   process ends: nothing to unmount); the test fills that disk through /proc/PID/root.
 * - etcd: a real member run with a small --quota-backend-bytes, filled by the test's own client; the fix is the
 *   one the message names: delete, compact, defragment, disarm the alarm.
 * - `paz up` (process driver, its HAProxy router) whose disk stays full for longer than its host's lease: the
 *   running service keeps serving through the router, nothing is started twice, and once there is room the
 *   host catches up (healthy, its units and endpoints as before).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { EtcdMember } from '../src/store/etcd/local-etcd.js';
import { EtcdStore } from '../src/store/etcd/etcd-store.js';
import { StoreFullError } from '../src/store/store.js';
import { PazProcess, request } from './helpers/paz-server.js';
import { freePort, tmpDir } from './helpers/env.js';
import { skipUnlessEtcd } from './helpers/local-agents.js';
import { waitFor } from './helpers/wait.js';
import { viaRouter } from './helpers/load.js';
import { cgroupTreeProcs, removeCgroupParent, unitProcessesIn, watchUnitsRunningTwice } from './helpers/procs.js';

const run = promisify(execFile);
/** an env value of 64 KiB: a few of them fill what SQLite's WAL has spare */
const BIG = 'x'.repeat(64 * 1024);

interface Answer {
  status: number;
  body: { code?: string; message?: string; doc?: Array<{ name: string }> } & Record<string, unknown>;
}

/**
 * Creates services with big configs until the store refuses one (at most `tries`); every answer must be a 201
 * or the refusal (507 PAZ_STORE_FULL). Returns the names acknowledged and the refusal.
 */
async function createUntilRefused(paz: PazProcess, prefix: string, tries: number): Promise<{ acknowledged: string[]; refusal: Answer }> {
  const acknowledged: string[] = [];
  for (let i = 0; i < tries; i++) {
    const name = `${prefix}${i}`;
    const res = (await request('POST', `${paz.orchestrator}/services`, { name, dockerRepository: 'local/app', numInstances: 1, env: { BIG } })) as Answer;
    if (res.status === 201) {
      acknowledged.push(name);
      continue;
    }
    assert.equal(res.status, 507, `${name}: ${JSON.stringify(res.body).slice(0, 400)}`);
    return { acknowledged, refusal: res };
  }
  assert.fail(`the store took ${tries} services of 64 KiB: it never filled up`);
}

async function serviceNames(paz: PazProcess): Promise<string[]> {
  const res = (await request('GET', `${paz.orchestrator}/services`)) as Answer;
  assert.equal(res.status, 200, 'reads work while writes are refused');
  return (res.body.doc ?? []).map((s) => s.name);
}

describe('SQLite on a full disk', () => {
  const dir = tmpDir('paz-store-full-');
  const dataDir = join(dir, 'paz');
  let paz: PazProcess | undefined;
  /** the server's data dir as seen from here: its mount lives in the server's own namespace */
  let inside = '';

  before(async () => {
    mkdirSync(dataDir, { mode: 0o700 });
    paz = new PazProcess({
      dataDir,
      env: { PAZ_FULL_DIR: dataDir },
      through: ['unshare', '--mount', 'sh', '-c', 'mount -t tmpfs -o size=6m,mode=0700 paz-full-test "$PAZ_FULL_DIR" && exec "$@"', 'sh'],
    });
    await paz.start();
    inside = `/proc/${paz.child!.pid}/root${dataDir}`;
  });

  after(async () => {
    // the tmpfs goes with the server's mount namespace
    await paz?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses writes with 507 and the fix, keeps serving reads and every acknowledged write, and writes again once there is room', async () => {
    const first = (await request('POST', `${paz!.orchestrator}/services`, { name: 'early', dockerRepository: 'local/app', numInstances: 2 })) as Answer;
    assert.equal(first.status, 201, JSON.stringify(first.body));
    // fill the disk (bounded: the tmpfs is 6 MiB)
    let filled = 0;
    for (; filled < 200; filled++) {
      try {
        appendFileSync(join(inside, 'filler'), Buffer.alloc(64 * 1024, 1));
      } catch (err) {
        assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
        break;
      }
    }
    assert.ok(filled < 200, 'the disk filled up');

    const { acknowledged, refusal } = await createUntilRefused(paz!, 'full', 40);
    console.log(`# SQLite, disk full after ${filled * 64} KiB of filler: ${acknowledged.length} more services taken, then ${refusal.status} ${refusal.body.message}`);
    assert.equal(refusal.body.code, 'PAZ_STORE_FULL');
    assert.match(refusal.body.message!, /^sqlite:\S+paz\.db refuses writes: the disk holding its file is full \(SQLite: database or disk is full\): free space on that disk\. Nothing of this request was written \(reads still work\)/);

    // a deploy (its service lock is a lease, then a txn) is refused the same way
    const deploy = (await request('POST', `${paz!.orchestrator}/services/early/deploy`, {})) as Answer;
    assert.equal(deploy.status, 507, JSON.stringify(deploy.body));
    assert.equal(deploy.body.code, 'PAZ_STORE_FULL');

    const names = await serviceNames(paz!);
    for (const name of ['early', ...acknowledged]) assert.ok(names.includes(name), `${name} was acknowledged and is there`);
    assert.ok(!names.includes(`full${acknowledged.length}`), 'the refused one is not');

    // room again: writes work with no restart
    rmSync(join(inside, 'filler'));
    const later = (await request('POST', `${paz!.orchestrator}/services`, { name: 'later', dockerRepository: 'local/app', numInstances: 1 })) as Answer;
    assert.equal(later.status, 201, JSON.stringify(later.body));
    const again = (await request('POST', `${paz!.orchestrator}/services/early/deploy`, {})) as Answer;
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.ok((await serviceNames(paz!)).includes('later'));
    assert.equal(paz!.child!.exitCode, null, 'the server ran on through it');
  });
});

describe('etcd over its space quota (NOSPACE alarm)', { skip: skipUnlessEtcd }, () => {
  const dir = tmpDir('paz-etcd-full-');
  let etcd: EtcdMember | undefined;
  let store: EtcdStore | undefined;
  let paz: PazProcess | undefined;

  before(async () => {
    etcd = EtcdMember.start({
      name: 'm0', dataDir: join(dir, 'etcd'), logFile: join(dir, 'etcd.log'), clientPort: await freePort(), peerPort: await freePort(),
      extraArgs: ['--quota-backend-bytes', String(4 * 1024 * 1024)],
    });
    await etcd.waitUntilHealthy(60_000);
    store = new EtcdStore([etcd.endpoint]);
    paz = new PazProcess({ dataDir: join(dir, 'paz'), extraArgs: ['--store', `etcd://${etcd.endpoint}`] });
    await paz.start();
  });

  after(async () => {
    await paz?.close();
    await store?.close();
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const etcdctl = (...args: string[]) => run('etcdctl', [`--endpoints=${etcd!.endpoint}`, ...args], { env: { ...process.env, ETCDCTL_API: '3' } });

  it('refuses writes with 507 naming the fix; after delete, compact, defrag and disarm, writes work again', async () => {
    const first = (await request('POST', `${paz!.orchestrator}/services`, { name: 'early', dockerRepository: 'local/app', numInstances: 2 })) as Answer;
    assert.equal(first.status, 201, JSON.stringify(first.body));
    // another writer fills etcd (bounded: 4 MiB of quota)
    let filler = 0;
    for (; filler < 200; filler++) {
      try {
        await store!.put(`/filler/${filler}`, 'f'.repeat(100 * 1024));
      } catch (err) {
        assert.ok(err instanceof StoreFullError, String(err));
        break;
      }
    }
    assert.ok(filler < 200, 'etcd reached its quota');
    const { acknowledged, refusal } = await createUntilRefused(paz!, 'full', 5);
    console.log(`# etcd at its quota after ${filler} × 100 KiB: ${acknowledged.length} more services taken, then ${refusal.status} ${refusal.body.message}`);
    assert.equal(refusal.body.code, 'PAZ_STORE_FULL');
    assert.match(refusal.body.message!, /^etcd:\/\/\S+ refuses writes: etcd's database reached its space quota \(.*database space exceeded; etcd's NOSPACE alarm is raised\): compact and defragment etcd .*etcdctl alarm disarm\)\. Nothing of this request was written/);
    assert.doesNotMatch(refusal.body.message!, /quorum|may or may not/);
    const deploy = (await request('POST', `${paz!.orchestrator}/services/early/deploy`, {})) as Answer;
    assert.equal(deploy.status, 507, JSON.stringify(deploy.body));
    assert.equal(deploy.body.code, 'PAZ_STORE_FULL');
    assert.ok((await serviceNames(paz!)).includes('early'));

    // the operator's fix, as the message says
    for (let i = 0; i < filler; i++) await store!.delete(`/filler/${i}`);
    await store!.compact(await store!.revision());
    await etcdctl('defrag');
    await etcdctl('alarm', 'disarm');
    const later = (await request('POST', `${paz!.orchestrator}/services`, { name: 'later', dockerRepository: 'local/app', numInstances: 1 })) as Answer;
    assert.equal(later.status, 201, JSON.stringify(later.body));
    const again = (await request('POST', `${paz!.orchestrator}/services/early/deploy`, {})) as Answer;
    assert.equal(again.status, 201, JSON.stringify(again.body));
    const names = await serviceNames(paz!);
    for (const name of ['early', 'later', ...acknowledged]) assert.ok(names.includes(name), `${name} is there`);
  });
});

/** a unit program that answers on PORT and writes nothing while it runs (its log is on the full disk) */
const echo = `
require('node:http').createServer((q, s) => s.end('hello ' + process.env.PAZ_INSTANCE + '\\n')).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

describe('paz up whose disk stays full longer than its lease', () => {
  const dir = tmpDir('paz-up-full-');
  const dataDir = join(dir, 'paz');
  const cgroupParent = `paz-full-test-${process.pid}`;
  let paz: PazProcess | undefined;
  let routerPort = 0;
  let inside = '';

  before(async () => {
    mkdirSync(dataDir, { mode: 0o700 });
    routerPort = await freePort();
    paz = new PazProcess({
      role: 'up',
      dataDir,
      env: { PAZ_FULL_DIR: dataDir },
      through: ['unshare', '--mount', 'sh', '-c', 'mount -t tmpfs -o size=24m,mode=0700 paz-full-test "$PAZ_FULL_DIR" && exec "$@"', 'sh'],
      extraArgs: ['--driver', 'process', '--agent-port', '0', '--router-port', String(routerPort), '--router-bind', '127.0.0.1', '--cgroup-parent', cgroupParent],
    });
    await paz.start();
    inside = `/proc/${paz.child!.pid}/root${dataDir}`;
  });

  after(async () => {
    if (inside) rmSync(join(inside, 'filler'), { force: true });
    // units outlive their agent on purpose: retire them first (they also hold the server's mount namespace)
    if (paz?.child) await request('DELETE', `${paz.orchestrator}/services/echo`).catch(() => undefined);
    await waitFor('the units retired', async () => cgroupTreeProcs(`/sys/fs/cgroup/pids/${cgroupParent}`).length === 0, 30_000).catch(() => undefined);
    await paz?.stop();
    for (const pid of cgroupTreeProcs(`/sys/fs/cgroup/pids/${cgroupParent}`)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await removeCgroupParent(cgroupParent);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps serving through the router, starts nothing twice, and catches up once there is room', async () => {
    const orchestrator = paz!.orchestrator;
    const created = (await request('POST', `${orchestrator}/services`, { name: 'echo', dockerRepository: 'local/echo', command: [process.execPath, '-e', echo], ports: [{ container: 9000 }], numInstances: 2 })) as Answer;
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(((await request('POST', `${orchestrator}/services/echo/deploy`, {})) as Answer).status, 201);
    await waitFor('both instances routed', async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 10; i++) {
        const res = await viaRouter(routerPort, 'echo.paz').catch(() => undefined);
        if (res?.status === 200) seen.add(res.body);
      }
      return seen.size === 2;
    }, 60_000, 200);
    const pidsBefore = cgroupTreeProcs(`/sys/fs/cgroup/pids/${cgroupParent}`).sort();
    const twice = watchUnitsRunningTwice([cgroupParent]);

    for (let i = 0; i < 2000; i++) {
      try {
        appendFileSync(join(inside, 'filler'), Buffer.alloc(64 * 1024, 1));
      } catch (err) {
        assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
        break;
      }
    }
    // full for 15 s: longer than the host's 10 s lease; requests through the router all the while
    const fullUntil = Date.now() + 15_000;
    let sent = 0;
    let failed = 0;
    while (Date.now() < fullUntil) {
      sent++;
      const res = await viaRouter(routerPort, 'echo.paz').catch(() => undefined);
      if (res?.status !== 200) failed++;
      await new Promise((r) => setTimeout(r, 100));
    }
    const refused = (await request('POST', `${orchestrator}/services`, { name: 'refused', dockerRepository: 'local/x' })) as Answer;
    assert.equal(refused.status, 507, JSON.stringify(refused.body));
    rmSync(join(inside, 'filler'));

    // room again: the host catches up, and the service never stopped
    let afterSent = 0;
    let afterFailed = 0;
    const healthyAgain = Date.now();
    const host = await waitFor('the host healthy, both units healthy and announced', async () => {
      afterSent++;
      const res = await viaRouter(routerPort, 'echo.paz').catch(() => undefined);
      if (res?.status !== 200) afterFailed++;
      const hosts = ((await request('GET', `${orchestrator}/cluster/hosts`)) as unknown as { body: Array<{ ID: string; healthy: boolean }> }).body;
      const units = ((await request('GET', `${orchestrator}/services/echo/units`)) as unknown as { body: Array<{ healthy: boolean }> }).body;
      return hosts.length === 1 && hosts[0].healthy && units.length === 2 && units.every((u) => u.healthy) ? hosts[0] : undefined;
    }, 60_000, 200);
    console.log(`# disk full 15 s: ${failed} of ${sent} requests through the router failed; after room was made: host ${host.ID.slice(0, 8)} healthy in ${Date.now() - healthyAgain} ms, ${afterFailed} of ${afterSent} requests failed meanwhile`);
    assert.equal(failed, 0, 'the router kept serving the running units while the disk was full');
    assert.equal(afterFailed, 0, 'and while the host caught up');
    assert.deepEqual(twice.stop(), [], 'no unit ran twice');
    assert.deepEqual(cgroupTreeProcs(`/sys/fs/cgroup/pids/${cgroupParent}`).sort(), pidsBefore, 'the same processes: none restarted or started again');
    assert.deepEqual(unitProcessesIn([cgroupParent]).sort(), ['echo-1-1', 'echo-1-2']);
  });
});
