// Issue 8, "Hosts and leftovers": the router never shares its port silently. A foreign listener, or a router
// (HAProxy) of another data dir, on the router port makes `paz up` refuse, naming the holder; the router's own
// leftover after a kill -9 is taken over (stopped and replaced) and serves again, and the host maps the killed
// router left in its runtime dir are removed. `paz down` stops the
// running paz, its router and its units. Process driver, real HAProxy.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { haproxyOf, pidsWithEnv } from './helpers/procs.js';
import { promisify } from 'node:util';
import { PazProcess, request, freePort, pazBin } from './helpers/paz-server.js';
import { waitFor } from './helpers/wait.js';
import { tmpDir } from './helpers/env.js';
import { viaRouter } from './helpers/load.js';

const run = promisify(execFile);

const appServer = `require('node:http').createServer((q, s) => s.end('hello from ' + process.env.PAZ_UNIT + '\\n')).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));`;

describe('the router port and leftovers', () => {
  const cgroupParent = `paz-leftovers-${process.pid}`;
  const token = `leftovers-${process.pid}`;
  let routerPort: number;
  let paz: PazProcess;
  const upArgs = (port: number) => ['--driver', 'process', '--agent-port', '0', '--router-port', String(port), '--router-bind', '127.0.0.1', '--cgroup-parent', cgroupParent];
  /** runs a `paz up` that is expected to refuse (exit non-zero once its agent meets the port); returns its output */
  const refused = async (dataDir: string, port: number): Promise<string> => {
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    const args = [pazBin, 'up', '--data-dir', dataDir, '--bind', '127.0.0.1', '--orchestrator-port', String(ports[0]), '--directory-port', String(ports[1]), '--scheduler-port', String(ports[2]), '--log-level', 'warn', ...upArgs(port)];
    const err = await run(process.execPath, args, { timeout: 60_000 }).then(
      () => assert.fail('paz up started although the router port is taken'),
      (e: { code?: number; stderr: string; stdout: string }) => e,
    );
    assert.equal(err.code, 1, `paz up exits with 1: ${err.stderr}`);
    return err.stdout + err.stderr;
  };

  before(async () => {
    routerPort = await freePort();
    // two threads where the default on this 2-CPU machine is one: --router-threads reaches the router's config
    paz = new PazProcess({ role: 'up', extraArgs: [...upArgs(routerPort), '--router-threads', '2'] });
  });
  after(async () => {
    await run(process.execPath, [pazBin, 'down', '--data-dir', paz.dataDir, '--cgroup-parent', cgroupParent, '--grace', '2']).catch(() => undefined);
    await paz.close();
  });

  it('refuses a router port held by a foreign listener, naming its pid and command line', async () => {
    const port = await freePort();
    const foreign: Server = createServer();
    await new Promise<void>((r) => foreign.listen(port, '127.0.0.1', r));
    try {
      const out = await refused(tmpDir('paz-foreign-'), port);
      console.log(`refusal: ${out.split('\n').find((l) => l.includes('router port')) ?? out}`);
      assert.match(out, new RegExp(`router port 127\\.0\\.0\\.1:${port} is already in use by pid ${process.pid} \\(${process.execPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} `));
    } finally {
      foreign.close();
    }
  });

  it('serves through its router; a paz with another data dir on that port refuses, naming the HAProxy', async () => {
    await paz.start();
    const created = await request('POST', `${paz.orchestrator}/services`, {
      name: 'lefty',
      dockerRepository: 'local/lefty',
      command: [process.execPath, '-e', appServer],
      env: { LEFTOVER_TEST: token },
      ports: [{ container: 9000 }],
      numInstances: 1,
      rollout: { stopGraceSeconds: 2 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await request('POST', `${paz.orchestrator}/services/lefty/deploy`, {})).status, 201);
    await waitFor('lefty through the router', async () => (await viaRouter(routerPort, 'lefty.paz').catch(() => ({ body: '' }))).body === 'hello from lefty-1-1\n');
    const ours = haproxyOf(paz.dataDir);
    assert.ok(ours.length >= 2, 'a master and a worker');
    assert.match(readFileSync(join(paz.dataDir, 'router', 'haproxy.cfg'), 'utf8'), /^\s*nbthread 2$/m, 'the threads --router-threads asked for');

    const intruderDir = tmpDir('paz-intruder-');
    const out = await refused(intruderDir, routerPort);
    assert.match(out, new RegExp(`router port 127\\.0\\.0\\.1:${routerPort} is already in use by pid \\d+ \\(\\S*haproxy .*${join(paz.dataDir, 'router', 'haproxy.cfg').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    assert.deepEqual(haproxyOf(intruderDir), [], 'the refusing paz started no HAProxy');
    assert.deepEqual(haproxyOf(paz.dataDir), ours, 'the running router was left alone');
    assert.equal((await viaRouter(routerPort, 'lefty.paz')).body, 'hello from lefty-1-1\n');

    // a second paz on the SAME data dir would run every unit twice: refused too
    assert.match(await refused(paz.dataDir, await freePort()), /paz up \(pid \d+\) already runs on data dir/);
  });

  it('takes over its own leftover router after a kill -9 and serves again', async () => {
    const before = haproxyOf(paz.dataDir);
    const unitPids = pidsWithEnv('LEFTOVER_TEST', token);
    assert.equal(unitPids.length, 1);
    await paz.kill();
    // the leftover keeps the port (and still routes to the unit, which also outlived paz)
    assert.deepEqual(haproxyOf(paz.dataDir), before, 'HAProxy outlives a kill -9 of paz');
    // host maps are named after their content, one per config: a router killed between writing a new
    // config's map and removing the old one leaves maps nothing will name again
    const runtimeDir = join(paz.dataDir, 'router');
    const maps = () => readdirSync(runtimeDir).filter((f) => /^hosts-[0-9a-f]{16}\.map$/.test(f)).sort();
    assert.equal(maps().length, 1, `the killed router's map: ${maps()}`);
    const stale = 'hosts-0123456789abcdef.map';
    writeFileSync(join(runtimeDir, stale), '# a map of a config that was never installed\nold.paz be_old\n');
    await paz.start();
    await waitFor('a new HAProxy in place of the leftover', async () => {
      const now = haproxyOf(paz.dataDir);
      return now.length > 0 && now.every((p) => !before.includes(p));
    });
    await waitFor('lefty through the new router', async () => (await viaRouter(routerPort, 'lefty.paz').catch(() => ({ body: '' }))).body === 'hello from lefty-1-1\n');
    const after = haproxyOf(paz.dataDir);
    assert.equal(after.filter((p) => before.includes(p)).length, 0, `the leftover HAProxy ${before} was replaced, now ${after}`);
    assert.deepEqual(pidsWithEnv('LEFTOVER_TEST', token), unitPids, 'the unit was adopted, not started again');
    // only the map the installed config names is left in the runtime dir
    const named = [...readFileSync(join(runtimeDir, 'haproxy.cfg'), 'utf8').matchAll(/hosts-[0-9a-f]{16}\.map/g)].map((m) => m[0]);
    assert.equal(new Set(named).size, 1, `the config names one map: ${named}`);
    assert.deepEqual(maps(), [named[0]], `map files left: ${maps()}`);
  });

  it('SIGTERM stops paz and its router but leaves the units running; the next start adopts them', async () => {
    const unitPids = pidsWithEnv('LEFTOVER_TEST', token);
    assert.equal(await paz.stop(), 0, 'a clean exit');
    assert.deepEqual(haproxyOf(paz.dataDir), [], 'the router stopped with paz');
    assert.deepEqual(pidsWithEnv('LEFTOVER_TEST', token), unitPids, 'the unit kept running');
    await paz.start();
    await waitFor('lefty through the router again', async () => (await viaRouter(routerPort, 'lefty.paz').catch(() => ({ body: '' }))).body === 'hello from lefty-1-1\n');
    assert.deepEqual(pidsWithEnv('LEFTOVER_TEST', token), unitPids, 'adopted, not started again');
  });

  it('paz down stops the running paz, its router and its units', async () => {
    const pazPid = paz.child!.pid!;
    // no --cgroup-parent: the driver recorded the one the agent ran its units under
    const { stdout } = await run(process.execPath, [pazBin, 'down', '--data-dir', paz.dataDir, '--grace', '5'], { timeout: 90_000 });
    console.log(stdout.trim());
    assert.match(stdout, new RegExp(`stopped: paz up pid ${pazPid} stopped, \\d+ leftover router process\\(es\\), 1 process unit\\(s\\)`));
    await waitFor('paz up to exit', async () => paz.child!.exitCode !== null || paz.child!.signalCode !== null);
    assert.deepEqual(haproxyOf(paz.dataDir), [], 'no HAProxy left');
    assert.deepEqual(pidsWithEnv('LEFTOVER_TEST', token), [], 'no unit process left');
    assert.equal(existsSync(`/sys/fs/cgroup/memory/${cgroupParent}`), false, 'no cgroup left');
    await assert.rejects(viaRouter(routerPort, 'lefty.paz'), 'nothing listens on the router port');
  });
});
