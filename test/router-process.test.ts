// test-lane: light
/**
 * The HAProxy process itself: stop leaves nothing running, a master that dies is restarted with the
 * current routes, a bad configuration never reaches HAProxy, a failed start says why.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { HaproxyConfigError, HaproxyProcess, RouterPortTakenError } from '../src/router/haproxy-process.js';
import { Router } from '../src/router/router.js';
import { readCertificateDir } from '../src/roles/tls-files.js';
import { makeCa, makeServerCert } from './helpers/certs.js';
import { freePort, get, haproxyPidsFor, startBackend, startTestRouter, waitFor, type Backend } from './router-fixtures.js';

const logger = pino({ level: process.env.PAZ_TEST_LOG ?? 'silent' });
const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('stop() leaves no HAProxy process, even with an old worker still finishing a request', async () => {
  const slowBackend = await startBackend('slow-1-1');
  cleanups.push(() => slowBackend.close());
  const rt = await startTestRouter({ domain: 'paz', services: [{ name: 'slow', servers: [slowBackend.asServer()] }] }, {
    process: { stopTimeoutMs: 20_000 },
  });
  cleanups.push(() => rt.cleanup());
  const slow = get(rt.port, 'slow.paz', '/slow?ms=3000').catch((error: unknown) => error);
  await waitFor('the slow request to reach its backend', () => (slowBackend.received === 1 ? true : undefined));
  // a reload leaves the old worker serving the slow request
  await rt.router.apply({ domain: 'paz', services: [{ name: 'slow', servers: [slowBackend.asServer()] }, { name: 'other', servers: [] }] });
  const pids = await haproxyPidsFor(rt.runtimeDir);
  assert.ok(pids.length >= 3, `master, new worker and old worker run: ${pids.join(' ')}`);
  // the master lists the old worker once it has taken in the reload (a moment later on a busy machine)
  await waitFor('the master to list the old worker', async () => ((await rt.router.processes()).oldWorkers.length >= 1 ? true : undefined), 5_000);
  assert.equal(slowBackend.served, 0, 'the slow request is still in flight when we stop');

  await rt.router.stop();
  assert.deepEqual(await haproxyPidsFor(rt.runtimeDir), []);
  for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} is gone`);
  assert.equal(rt.router.masterPid, undefined);
  const answer = await slow;
  assert.ok(!(answer instanceof Error), `the in-flight request finished during the soft stop: ${String(answer)}`);
});

test('a master that dies is restarted with the current routes, drain states included', async () => {
  const backends: Backend[] = [];
  for (const name of ['svc-1-1', 'svc-1-2', 'svc-1-3']) backends.push(await startBackend(name));
  cleanups.push(() => Promise.all(backends.map((b) => b.close())));
  const rt = await startTestRouter({ domain: 'paz', services: [{ name: 'svc', servers: [backends[0].asServer()] }] }, {
    process: { restartBackoff: { initialMs: 100, maxMs: 1_000 }, stopTimeoutMs: 5_000 },
  });
  cleanups.push(() => rt.cleanup());
  // changes made through the runtime API only, then the master is killed
  const result = await rt.router.apply({
    domain: 'paz',
    services: [{ name: 'svc', servers: [backends[0].asServer('drain'), backends[1].asServer(), backends[2].asServer()] }],
  });
  assert.equal(result.reloaded, false);
  const oldMaster = rt.router.masterPid;
  assert.ok(oldMaster);
  process.kill(oldMaster, 'SIGKILL');

  await waitFor('a new HAProxy master', () => (rt.router.masterPid && rt.router.masterPid !== oldMaster ? true : undefined));
  const stats = await waitFor('the restarted HAProxy to hold the drain state', async () => {
    const s = await rt.router.stats();
    return s.services[0]?.servers[0]?.status === 'DRAIN' ? s : undefined;
  });
  assert.deepEqual(stats.services[0].servers.map((s) => [s.name, s.status]), [
    ['svc-1-1', 'DRAIN'],
    ['svc-1-2', 'UP'],
    ['svc-1-3', 'UP'],
  ]);
  const bodies = new Set<string>();
  for (let i = 0; i < 6; i++) bodies.add((await get(rt.port, 'svc.paz')).body.trim());
  assert.deepEqual([...bodies].sort(), ['svc-1-2', 'svc-1-3']);
  assert.equal(isAlive(oldMaster), false);
});

test('an invalid configuration is rejected by haproxy -c before HAProxy runs it', async () => {
  const runtimeDir = await mkdtemp(join(tmpdir(), 'paz-rt-'));
  cleanups.push(() => rm(runtimeDir, { recursive: true, force: true }));
  const port = await freePort();
  let config = `global\n    master-worker\n    stats socket ${runtimeDir}/admin.sock mode 600 level admin\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nfrontend f\n    bind 127.0.0.1:${port}\n    http-request return status 200 content-type text/plain string good\n`;
  const haproxy = new HaproxyProcess({ runtimeDir, renderConfig: () => config, logger });
  cleanups.push(() => haproxy.stop());

  const good = config;
  config = 'global\n    no-such-keyword\n';
  await assert.rejects(haproxy.start(), (error: unknown) => {
    assert.ok(error instanceof HaproxyConfigError);
    assert.match(error.message, /no-such-keyword/);
    return true;
  });
  assert.equal(haproxy.masterPid, undefined, 'nothing was started');
  assert.match(await readFile(join(runtimeDir, 'haproxy.cfg.rejected'), 'utf8'), /no-such-keyword/);

  config = good;
  await haproxy.start();
  assert.equal((await get(port, 'x')).body, 'good');
  config = good.replace('string good', 'string bad').replace('frontend f', 'frontend f\n    bogus-directive');
  await assert.rejects(haproxy.reload(), HaproxyConfigError);
  assert.equal((await get(port, 'x')).body, 'good', 'the running configuration is untouched');
  assert.equal(await readFile(haproxy.configPath, 'utf8'), good);
  await haproxy.stop();
  assert.deepEqual(await haproxyPidsFor(runtimeDir), []);
});

test('a rejected configuration leaves no map behind, except the one the running configuration reads', async () => {
  const runtimeDir = await mkdtemp(join(tmpdir(), 'paz-rt-'));
  cleanups.push(() => rm(runtimeDir, { recursive: true, force: true }));
  const port = await freePort();
  // the answer comes out of the map: the running config really reads its file
  const configFor = (map: string, bogus = false) =>
    `global\n    master-worker\n    stats socket ${runtimeDir}/admin.sock mode 600 level admin\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n` +
    `frontend f\n    bind 127.0.0.1:${port}\n${bogus ? '    bogus-directive\n' : ''}    http-request return status 200 content-type text/plain lf-string "%[req.hdr(host),map_str(${runtimeDir}/${map},none)]"\n`;
  let next = { config: configFor('hosts-a.map'), files: [{ name: 'hosts-a.map', text: 'x answer-from-a\n' }] };
  const haproxy = new HaproxyProcess({ runtimeDir, renderConfig: () => next, logger });
  cleanups.push(() => haproxy.stop());
  const maps = async () => (await readdir(runtimeDir)).filter((f) => f.endsWith('.map')).sort();

  // a start whose config is rejected: nothing is installed, so its map goes too
  next = { config: configFor('hosts-z.map', true), files: [{ name: 'hosts-z.map', text: 'x z\n' }] };
  await assert.rejects(haproxy.start(), HaproxyConfigError);
  assert.deepEqual(await maps(), []);

  next = { config: configFor('hosts-a.map'), files: [{ name: 'hosts-a.map', text: 'x answer-from-a\n' }] };
  await haproxy.start();
  assert.equal((await get(port, 'x')).body, 'answer-from-a');

  // a candidate with a new map, rejected: its map is removed at once, the running one's stays
  next = { config: configFor('hosts-b.map', true), files: [{ name: 'hosts-b.map', text: 'x answer-from-b\n' }] };
  await assert.rejects(haproxy.reload(), HaproxyConfigError);
  assert.deepEqual(await maps(), ['hosts-a.map']);
  // a rejected candidate naming the running config's own map (same table, another fault) does not take it away
  next = { config: configFor('hosts-a.map', true), files: [{ name: 'hosts-a.map', text: 'x answer-from-a\n' }] };
  await assert.rejects(haproxy.reload(), HaproxyConfigError);
  assert.deepEqual(await maps(), ['hosts-a.map']);
  assert.equal((await get(port, 'x')).body, 'answer-from-a');

  // a good config with a new map replaces the old map
  next = { config: configFor('hosts-c.map'), files: [{ name: 'hosts-c.map', text: 'x answer-from-c\n' }] };
  await haproxy.reload();
  assert.deepEqual(await maps(), ['hosts-c.map']);
  await waitFor('the new worker to answer from its map', async () => (await get(port, 'x')).body === 'answer-from-c');
  await haproxy.stop();
  assert.deepEqual(await haproxyPidsFor(runtimeDir), []);
});

/** A port this test process listens on until the end of the file's tests. */
async function holdPort(): Promise<number> {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => blocker.close(resolve)));
  const address = blocker.address();
  return typeof address === 'object' && address ? address.port : 0;
}

test('a start on a port someone else holds is refused, naming the holder, and leaves nothing running', async () => {
  const port = await holdPort();
  const runtimeDir = await mkdtemp(join(tmpdir(), 'paz-rt-'));
  cleanups.push(() => rm(runtimeDir, { recursive: true, force: true }));
  const router = new Router({ bindAddress: '127.0.0.1', port, runtimeDir, logger });
  // HAProxy itself would bind it too (SO_REUSEPORT) or fail late: the router looks first and refuses
  await assert.rejects(router.start(), (error: unknown) => {
    assert.ok(error instanceof RouterPortTakenError, String(error));
    assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port} is already in use by pid ${process.pid} \\(`));
    return true;
  });
  assert.deepEqual(await haproxyPidsFor(runtimeDir), []);
  await router.stop();
});

test('a start on an HTTPS port someone else holds is refused too, naming --router-https-port', async () => {
  const httpsPort = await holdPort();
  const runtimeDir = await mkdtemp(join(tmpdir(), 'paz-rt-'));
  cleanups.push(() => rm(runtimeDir, { recursive: true, force: true }));
  const ca = makeCa(runtimeDir);
  const certDir = join(runtimeDir, 'certs');
  await mkdir(certDir);
  await copyFile(makeServerCert(ca, 'a', { dns: ['a.example.test'] }).bundleFile, join(certDir, 'a.example.test.pem'));
  const router = new Router({ bindAddress: '127.0.0.1', port: await freePort(), runtimeDir, logger, tls: { port: httpsPort, certDir, certificates: readCertificateDir(certDir) } });
  await assert.rejects(router.start(), (error: unknown) => {
    assert.ok(error instanceof RouterPortTakenError, String(error));
    assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${httpsPort} is already in use by pid ${process.pid} .*choose another --router-https-port \\(PAZ_ROUTER_HTTPS_PORT\\)`));
    return true;
  });
  assert.deepEqual(await haproxyPidsFor(runtimeDir), []);
  await router.stop();
});
