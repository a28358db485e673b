// test-lane: normal
/**
 * The process driver against real processes, real cgroup v1 directories and real sockets on 127.0.0.1.
 * Cgroup-dependent checks (memory limit, CPU quota, killing forked processes) need root and writable v1
 * hierarchies and skip with a reason otherwise. Every process started here is removed at the end, and the
 * last test checks that nothing is left: no process, no cgroup directory, no file.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DriverError, type DriverEvent, type UnitSpec } from '../src/agent/drivers/driver.js';
import { ProcessDriver } from '../src/agent/drivers/process/process-driver.js';
import { parseProcPidStat } from '../src/agent/drivers/process/proc-parse.js';

const CGROUP_ROOT = '/sys/fs/cgroup';
/** a parent of our own, so this test never meets units of a real agent on the same host */
const CGROUP_PARENT = `paz-process-test-${process.pid}`;
const CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'pids'];

const stateDir = mkdtempSync(join(tmpdir(), 'paz-process-driver-'));
const quietLogger = { info: () => {}, warn: () => {} };
const driverOptions = { cgroupRoot: CGROUP_ROOT, cgroupParent: CGROUP_PARENT, adoptedPollMs: 200, logger: quietLogger };
const driver = new ProcessDriver(stateDir, driverOptions);
const drivers: ProcessDriver[] = [driver];
/** every pid a unit ever had, with its start time, to prove at the end that none is left */
const startedPids: Array<{ pid: number; startTicks: number }> = [];

function cgroupsWritable(): boolean {
  return process.getuid?.() === 0 && existsSync(join(CGROUP_ROOT, 'memory', 'cgroup.procs'));
}
const skipWithoutCgroups = cgroupsWritable() ? false : 'needs root and writable cgroup v1 hierarchies';

function cgroupDir(controller: string, unit: string): string {
  return join(CGROUP_ROOT, controller, CGROUP_PARENT, unit);
}

function procStat(pid: number) {
  try {
    return parseProcPidStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

function isAlive(pid: number, startTicks: number): boolean {
  const s = procStat(pid);
  return s !== undefined && s.startTicks === startTicks && s.state !== 'Z';
}

function remember(id: string): number {
  const pid = Number(id);
  const s = procStat(pid);
  if (s) startedPids.push({ pid, startTicks: s.startTicks });
  return pid;
}

let unitSeq = 0;
function spec(service: string, script: string, extra: Partial<UnitSpec> = {}): UnitSpec {
  unitSeq++;
  return {
    unit: `${service}-1-${unitSeq}`,
    service,
    version: 1,
    instance: unitSeq,
    image: 'node',
    command: ['node', '-e', script],
    ports: [],
    env: {},
    volumes: [],
    ...extra,
  };
}

async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

function httpGet(port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Retries a GET until the unit's server answers (bounded). */
function answer(port: number, path = '/'): Promise<{ status: number; body: string }> {
  return waitFor(`http://127.0.0.1:${port}${path}`, () => httpGet(port, path).catch(() => undefined));
}

async function logText(d: ProcessDriver, unit: string): Promise<string> {
  const lines: string[] = [];
  for await (const l of await d.logs(unit, {})) lines.push(l as string);
  return lines.join('\n');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function recordEvents(d: ProcessDriver): { events: DriverEvent[]; unsubscribe: Promise<() => void> } {
  const events: DriverEvent[] = [];
  return { events, unsubscribe: d.events((e) => events.push(e)) };
}

/** An HTTP server that answers with the environment it was given. */
const ENV_SERVER = `
const http = require('node:http');
const pick = (k) => process.env[k] ?? null;
http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ path: req.url, pid: process.pid, env: Object.fromEntries(
    ['PORT','PORT_3000','PORT_9000','GREETING','PAZ_SERVICE','PAZ_VERSION','PAZ_INSTANCE','PAZ_UNIT','NODE_TEST_CONTEXT'].map((k) => [k, pick(k)])) }));
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on ' + process.env.PORT));
`;

after(async () => {
  // safety net when a test failed half-way; the last test does the same and asserts on it
  for (const d of drivers) {
    for (const u of await d.list().catch(() => [])) await d.remove(u.unit).catch(() => {});
    await d.close();
  }
  for (const { pid, startTicks } of startedPids) if (isAlive(pid, startTicks)) process.kill(pid, 'SIGKILL');
  await waitFor('killed units to exit', () => startedPids.every(({ pid, startTicks }) => !isAlive(pid, startTicks)) || undefined).catch(() => {});
  // the parent cgroup is this test's own: whatever a failed remove() left in it goes too
  for (const c of CONTROLLERS) {
    const parent = join(CGROUP_ROOT, c, CGROUP_PARENT);
    if (!existsSync(parent)) continue;
    for (const entry of readdirSync(parent, { withFileTypes: true })) {
      if (entry.isDirectory()) rmdirQuietly(join(parent, entry.name));
    }
    rmdirQuietly(parent);
  }
  rmSync(stateDir, { recursive: true, force: true });
});

function rmdirQuietly(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // co-mounted hierarchies share a directory that is already gone
  }
}

test('pull and hasImage check that the program exists', async () => {
  const progress: string[] = [];
  await driver.pull('node', (p) => progress.push(p.status));
  assert.match(progress.join('\n'), /\/node is present/);
  assert.equal(await driver.hasImage('node'), true);
  assert.equal(await driver.hasImage('/bin/sh'), true);
  assert.equal(await driver.hasImage('paz-no-such-program'), false);
  await assert.rejects(driver.pull('paz-no-such-program'), (err: unknown) => {
    assert.ok(err instanceof DriverError);
    assert.equal(err.code, 'IMAGE_NOT_FOUND');
    assert.match(err.message, /paz-no-such-program/);
    return true;
  });
  await assert.rejects(
    driver.start(spec('missing', '', { image: 'x', command: ['paz-no-such-program'] })),
    (err: unknown) => err instanceof DriverError && err.code === 'IMAGE_NOT_FOUND',
  );
});

test('a unit serves HTTP on a fixed host port and on a port the driver picked, with its env', async () => {
  const fixed = await freePort();
  const s = spec('web', ENV_SERVER, {
    ports: [
      { container: 3000, host: fixed },
      { container: 9000 },
    ],
    env: { GREETING: 'hello from the spec', PORT: '1' },
  });
  const rt = await driver.start(s);
  const pid = remember(rt.id);
  assert.equal(rt.state, 'running');
  assert.equal(rt.unit, s.unit);
  assert.deepEqual(
    { service: rt.service, version: rt.version, instance: rt.instance, image: rt.image },
    { service: 'web', version: 1, instance: s.instance, image: 'node' },
  );
  assert.equal(rt.ports.length, 2);
  assert.deepEqual(rt.ports[0], { container: 3000, host: fixed, protocol: 'tcp' });
  const picked = rt.ports[1].host;
  assert.ok(picked > 0 && picked !== fixed, `picked port ${picked}`);

  const res = await answer(fixed, '/hello');
  assert.equal(res.status, 200);
  const body = JSON.parse(res.body) as { path: string; pid: number; env: Record<string, string | null> };
  assert.equal(body.path, '/hello');
  assert.equal(body.pid, pid, 'the pid the driver reports is the program itself, not a wrapper');
  assert.deepEqual(body.env, {
    PORT: String(fixed), // the spec's PORT=1 is overridden: the process must listen on its host port
    PORT_3000: String(fixed),
    PORT_9000: String(picked),
    GREETING: 'hello from the spec',
    PAZ_SERVICE: 'web',
    PAZ_VERSION: '1',
    PAZ_INSTANCE: String(s.instance),
    PAZ_UNIT: s.unit,
    NODE_TEST_CONTEXT: null, // the agent's own environment does not leak into units
  });

  // a second unit whose only port is picked by the driver
  const s2 = spec('web', ENV_SERVER, { ports: [{ container: 3000 }] });
  const rt2 = await driver.start(s2);
  remember(rt2.id);
  const res2 = await answer(rt2.ports[0].host);
  assert.equal(JSON.parse(res2.body).env.PAZ_UNIT, s2.unit);

  // the fixed port is now taken: another unit asking for it gets a clear error
  await assert.rejects(
    driver.start(spec('clash', ENV_SERVER, { ports: [{ container: 3000, host: fixed }] })),
    (err: unknown) => err instanceof DriverError && err.code === 'PORT_IN_USE' && err.message.includes(String(fixed)),
  );

  const inspected = await driver.inspect(s.unit);
  assert.equal(inspected?.state, 'running');
  assert.equal(inspected?.id, rt.id);
  const units = (await driver.list()).map((u) => u.unit);
  assert.ok(units.includes(s.unit) && units.includes(s2.unit));

  await driver.remove(s.unit);
  await driver.remove(s2.unit);
  assert.equal(await driver.inspect(s.unit), undefined);
});

test('restart keeps the host port the driver picked when it is still free', async () => {
  const s = spec('sticky', ENV_SERVER, { ports: [{ container: 3000 }] });
  const rt = await driver.start(s);
  remember(rt.id);
  await answer(rt.ports[0].host);
  await driver.stop(s.unit, 10);
  const again = await driver.restart(s.unit);
  remember(again.id);
  assert.notEqual(again.id, rt.id);
  assert.deepEqual(again.ports, rt.ports);
  const res = await answer(again.ports[0].host);
  assert.equal(JSON.parse(res.body).pid, Number(again.id));
  // restart of a running unit changes nothing
  assert.equal((await driver.restart(s.unit)).id, again.id);
  await driver.remove(s.unit);
});

test('logs: tail gives the last lines, follow streams new lines and ends when the unit stops', async () => {
  const s = spec(
    'logger',
    `console.log('hello from unit'); console.error('to stderr'); let i = 0;
     const t = setInterval(() => { console.log('tick ' + (++i)); if (i === 5) clearInterval(t); }, 150);`,
  );
  const rt = await driver.start(s);
  remember(rt.id);
  const follow = await driver.logs(s.unit, { follow: true });
  const followed: string[] = [];
  for await (const line of follow) followed.push(line as string);
  // the stream ended by itself: the unit exited after tick 5
  assert.deepEqual(followed, ['hello from unit', 'to stderr', 'tick 1', 'tick 2', 'tick 3', 'tick 4', 'tick 5']);

  const tailed: string[] = [];
  for await (const line of await driver.logs(s.unit, { tail: 2 })) tailed.push(line as string);
  assert.deepEqual(tailed, ['tick 4', 'tick 5']);

  const exited = await waitFor('exit recorded', async () => {
    const r = await driver.inspect(s.unit);
    return r?.exitCode !== undefined ? r : undefined;
  });
  assert.equal(exited.state, 'exited');
  assert.equal(exited.exitCode, 0);

  // restart runs the same spec again as a new process, appending to the same log
  const again = await driver.restart(s.unit);
  remember(again.id);
  assert.notEqual(again.id, rt.id);
  assert.equal(again.unit, s.unit);
  await waitFor('second run finished', async () => ((await driver.inspect(s.unit))?.exitCode === 0 ? true : undefined));
  const all = await logText(driver, s.unit);
  assert.equal(all.match(/hello from unit/g)?.length, 2);

  await assert.rejects(driver.logs('no-such-unit', {}), (err: unknown) => err instanceof DriverError && err.code === 'NOT_FOUND');
  await driver.remove(s.unit);
});

test("a unit's log past the driver's cap is kept in .1 and truncated; a unit started by an older Paz (no O_APPEND) is left alone", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'paz-process-logcap-'));
  // not in `drivers`: its state dir goes at the end of this test, its processes are remembered as every unit's
  const capped = new ProcessDriver(dir, { ...driverOptions, logMaxBytes: 4096 });
  const chatty = 'let n = 0; setInterval(() => console.log(String(++n).padStart(6, "0") + " " + "x".repeat(200)), 20)';
  const a = spec('capped', chatty);
  const b = spec('capped', chatty);
  // 100 lines in one write on its first run only (it leaves a mark in its working directory), then quiet
  const burst =
    'const fs = require("node:fs"); if (fs.existsSync("burst-done")) console.log("second run"); ' +
    'else { fs.writeSync(1, Array.from({ length: 100 }, (_, i) => String(i + 1).padStart(6, "0") + " " + "y".repeat(200) + "\\n").join("")); fs.writeFileSync("burst-done", ""); } setInterval(() => {}, 1e6)';
  const c = spec('capped', burst);
  try {
    remember((await capped.start(a)).id);
    remember((await capped.start(b)).id);
    remember((await capped.start(c)).id);
    // `since` at or after c's start reads its current run (paz logs -f through a restart asks so)
    const cRun = Math.floor(Date.now() / 1000);
    // b as an older Paz left it: its state says nothing of O_APPEND
    const stateFile = join(dir, 'units', readdirSync(join(dir, 'units')).find((f) => f.startsWith(b.unit + '.'))!);
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, unknown>;
    delete state.logAppends;
    writeFileSync(stateFile, JSON.stringify(state));
    const log = (u: UnitSpec) => join(dir, 'logs', `${u.unit}.out`);
    await waitFor("a's log rotated", () => existsSync(`${log(a)}.1`) || undefined);
    // the next rotation replaces the .1: it begins past the first line then
    await waitFor('a second rotation', () => !readFileSync(`${log(a)}.1`, 'utf8').startsWith('000001') || undefined);
    const current = readFileSync(log(a));
    assert.ok(current.length < 4096 + 60 * 230, `a's log stays near its cap (${current.length} bytes)`);
    assert.equal(current.indexOf(0), -1, 'no hole of zeros');
    // `tail` reads the current file: right after a rotation it may hold no whole line yet, then the newest one
    await waitFor("tail to read a's newest whole line", async () => {
      const tail: string[] = [];
      for await (const l of await capped.logs(a.unit, { tail: 1 })) tail.push(l as string);
      return /^\d{6} x+$/.test(tail[0] ?? '') || undefined;
    });
    assert.ok(readFileSync(log(b)).length > 4096 * 2, "b's log is not truncated under a descriptor that does not append");
    assert.equal(existsSync(`${log(b)}.1`), false);
    // c's burst was moved aside whole and nothing came after it: what `tail` and a full read return is in .1
    await waitFor("c's burst moved aside", () => (existsSync(`${log(c)}.1`) && readFileSync(log(c)).length === 0) || undefined);
    const lines = async (opts: { tail?: number; since?: number }) => {
      const out: string[] = [];
      for await (const l of await capped.logs(c.unit, opts)) out.push((l as string).slice(0, 6));
      return out;
    };
    assert.deepEqual(await lines({ tail: 3 }), ['000098', '000099', '000100'], 'tail reads the older part when the current file has too few lines');
    assert.equal((await lines({})).length, 100, 'a full read has the older part');
    // the run began in what was moved aside: read from there
    assert.equal((await lines({ since: cRun })).length, 100, "this run's lines, those moved aside included");
    assert.deepEqual(await lines({ since: cRun, tail: 2 }), ['000099', '000100']);
    // a new start begins a new log: the older part of the previous one goes
    remember((await capped.start(c)).id);
    assert.equal(existsSync(`${log(c)}.1`), false, "a new start removes the previous run's older part");
    await waitFor("c's second run to log", async () => (await lines({})).length > 0 || undefined);
    assert.deepEqual(await lines({}), ['second']);
  } finally {
    await capped.remove(a.unit);
    await capped.remove(b.unit);
    await capped.remove(c.unit);
    await capped.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kill -9 of a unit is reported as a die event with exit code 137', async () => {
  const { events, unsubscribe } = recordEvents(driver);
  const off = await unsubscribe;
  const s = spec('victim', 'setInterval(() => {}, 1000)');
  const rt = await driver.start(s);
  const pid = remember(rt.id);
  process.kill(pid, 'SIGKILL');
  const die = await waitFor('die event', () => events.find((e) => e.type === 'die' && e.unit === s.unit));
  assert.equal(die.exitCode, 137);
  assert.ok(events.some((e) => e.type === 'start' && e.unit === s.unit));
  const r = await driver.inspect(s.unit);
  assert.equal(r?.state, 'exited');
  assert.equal(r?.exitCode, 137);
  assert.ok(r?.finishedAt);
  off();
  await driver.remove(s.unit);
});

test('stop sends SIGTERM and the unit exits by it well within a long grace period', async () => {
  const s = spec('polite', 'setInterval(() => {}, 1000); console.log("ready")');
  const rt = await driver.start(s);
  const pid = remember(rt.id);
  await waitFor('ready', async () => ((await logText(driver, s.unit)).includes('ready') ? true : undefined));
  const began = Date.now();
  await driver.stop(s.unit, 120);
  // generous bound: SIGKILL would only come after 120 s; SIGTERM ends node at once
  assert.ok(Date.now() - began < 60_000, 'stop waited for the grace period instead of SIGTERM');
  assert.equal(procStat(pid), undefined);
  const r = await driver.inspect(s.unit);
  assert.equal(r?.state, 'exited');
  assert.equal(r?.exitCode, 143, 'exit by SIGTERM (128 + 15)');
  // stopping a stopped unit is a no-op
  await driver.stop(s.unit, 1);
  await driver.remove(s.unit);
});

test('stop escalates to SIGKILL for a unit that ignores SIGTERM', async () => {
  const s = spec(
    'stubborn',
    `process.on('SIGTERM', () => console.log('ignoring SIGTERM')); setInterval(() => {}, 1000); console.log('ready');`,
  );
  const rt = await driver.start(s);
  const pid = remember(rt.id);
  await waitFor('ready', async () => ((await logText(driver, s.unit)).includes('ready') ? true : undefined));
  await driver.stop(s.unit, 1);
  assert.equal(procStat(pid), undefined);
  const r = await driver.inspect(s.unit);
  assert.equal(r?.exitCode, 137, 'killed by SIGKILL after the grace period');
  assert.match(await logText(driver, s.unit), /ignoring SIGTERM/);
  await driver.remove(s.unit);
});

test('a memory limit makes the kernel OOM-kill a unit that allocates too much', { skip: skipWithoutCgroups }, async () => {
  const { events, unsubscribe } = recordEvents(driver);
  const off = await unsubscribe;
  const s = spec(
    'hog',
    // bounded at 1 GiB, so a broken limit fails this test by timeout instead of exhausting the host
    `const keep = []; setInterval(() => { if (keep.length < 1024) for (let i = 0; i < 8; i++) keep.push(Buffer.alloc(1 << 20, 1)); }, 10);`,
    { memoryMb: 96 },
  );
  const rt = await driver.start(s);
  remember(rt.id);
  assert.equal(readFileSync(join(cgroupDir('memory', s.unit), 'memory.limit_in_bytes'), 'utf8').trim(), String(96 * 1024 * 1024));
  const die = await waitFor('die of the memory hog', () => events.find((e) => e.type === 'die' && e.unit === s.unit), 60_000);
  assert.equal(die.exitCode, 137);
  assert.ok(events.some((e) => e.type === 'oom' && e.unit === s.unit), 'oom event');
  const r = await driver.inspect(s.unit);
  assert.equal(r?.oomKilled, true);
  assert.equal(r?.exitCode, 137);
  off();
  await driver.remove(s.unit);
});

test('cpu quota is written and stats come from the cgroup', { skip: skipWithoutCgroups }, async () => {
  const s = spec('busy', 'for (;;) {}', { cpus: 0.2, memoryMb: 256 });
  const rt = await driver.start(s);
  remember(rt.id);
  const cpuDir = cgroupDir('cpu', s.unit);
  assert.equal(readFileSync(join(cpuDir, 'cpu.cfs_quota_us'), 'utf8').trim(), '20000');
  assert.equal(readFileSync(join(cpuDir, 'cpu.cfs_period_us'), 'utf8').trim(), '100000');
  // the process enters its cgroups (its wrapper does, before exec) and is really in each of them
  for (const c of CONTROLLERS) {
    const procsFile = join(cgroupDir(c, s.unit), 'cgroup.procs');
    await waitFor(`${rt.id} in ${c} cgroup`, () => readFileSync(procsFile, 'utf8').split('\n').includes(rt.id) || undefined);
  }
  await driver.stats(s.unit);
  await sleep(1000);
  const st = await driver.stats(s.unit);
  assert.ok(st, 'stats of a running unit');
  assert.equal(st.unit, s.unit);
  assert.ok(st.cpu > 0, `cpu ${st.cpu}`);
  // a quota of 0.2 cores cannot yield much more; 0.5 leaves room for measurement noise
  assert.ok(st.cpu < 0.5, `cpu ${st.cpu} exceeds the 0.2 core quota`);
  assert.ok(st.memoryBytes > 1024 * 1024, `memory ${st.memoryBytes}`);
  assert.equal(st.memoryLimitBytes, 256 * 1024 * 1024);
  assert.equal(st.networkRxBytes, 0);
  await driver.stop(s.unit, 0);
  assert.equal(await driver.stats(s.unit), undefined, 'no stats for a stopped unit');
  await driver.remove(s.unit);
});

test('processes a unit forked are killed with it, even outside its process group', { skip: skipWithoutCgroups }, async () => {
  const s = spec('forker', '', {
    image: '/bin/sh',
    command: ['/bin/sh', '-c', 'setsid sleep 1000 & echo "child=$!"; wait'],
  });
  const rt = await driver.start(s);
  remember(rt.id);
  const childPid = Number(
    await waitFor('child pid in log', async () => /child=(\d+)/.exec(await logText(driver, s.unit))?.[1]),
  );
  // once setsid has run, the child is in a session and process group of its own
  const child = await waitFor('child in its own process group', () => {
    const st = procStat(childPid);
    return st && st.pgrp === childPid ? st : undefined;
  });
  startedPids.push({ pid: childPid, startTicks: child.startTicks });
  assert.notEqual(child.pgrp, Number(rt.id));
  await driver.stop(s.unit, 5);
  assert.equal(isAlive(childPid, child.startTicks), false, 'forked child killed through the cgroup');
  await driver.remove(s.unit);
});

test('a second driver on the same state dir (an agent restart) adopts running units', async () => {
  const s = spec('adoptee', ENV_SERVER, { ports: [{ container: 3000 }] });
  const s2 = spec('adoptee', 'setInterval(() => {}, 1000); console.log("ready")');
  const rt = await driver.start(s);
  const rt2 = await driver.start(s2);
  const pid = remember(rt.id);
  remember(rt2.id);
  await answer(rt.ports[0].host);
  await waitFor('ready', async () => ((await logText(driver, s2.unit)).includes('ready') ? true : undefined));

  const restarted = new ProcessDriver(stateDir, driverOptions);
  drivers.push(restarted);
  const listed = await restarted.list();
  const adopted = listed.find((u) => u.unit === s.unit);
  assert.ok(adopted, 'the running unit is listed by the new driver');
  assert.equal(adopted.state, 'running');
  assert.equal(adopted.id, rt.id);
  assert.deepEqual(adopted.ports, rt.ports);
  const st = await restarted.stats(s.unit);
  assert.ok(st && st.memoryBytes > 0, 'stats of an adopted unit');
  assert.ok((await restarted.logs(s.unit, { tail: 1 })) !== undefined);

  // the new driver notices the death of a process it did not spawn
  const { events, unsubscribe } = recordEvents(restarted);
  const off = await unsubscribe;
  process.kill(pid, 'SIGKILL');
  await waitFor('die seen by the adopting driver', () => events.find((e) => e.type === 'die' && e.unit === s.unit));
  assert.equal((await restarted.inspect(s.unit))?.state, 'exited');

  // and can stop one
  await restarted.stop(s2.unit, 30);
  assert.equal((await restarted.inspect(s2.unit))?.state, 'exited');
  assert.ok(events.some((e) => e.type === 'die' && e.unit === s2.unit));
  off();
  await restarted.remove(s.unit);
  await restarted.remove(s2.unit);
  assert.equal(await driver.inspect(s.unit), undefined);
});

test('a launch the agent died before recording is found by its launch id and killed by the next driver', async () => {
  for (const useCgroups of [true, false]) {
    const dir = mkdtempSync(join(tmpdir(), 'paz-process-intent-'));
    const first = new ProcessDriver(dir, { ...driverOptions, useCgroups });
    drivers.push(first);
    const s = spec(`unrecorded-${useCgroups ? 'cg' : 'plain'}`, 'setInterval(() => {}, 1000)');
    const rt = await first.start(s);
    const pid = remember(rt.id);
    // rewind to the moment after spawn() and before the state file: only the intent is on disk
    const statePath = join(dir, 'units', `${s.unit}.json`);
    const state = JSON.parse(readFileSync(statePath, 'utf8'));
    assert.match(readFileSync(`/proc/${pid}/environ`, 'utf8'), new RegExp(`PAZ_LAUNCH_ID=${state.launchId}\0`));
    rmSync(statePath);
    writeFileSync(join(dir, 'units', `${s.unit}.launch`), JSON.stringify({ unit: s.unit, launchId: state.launchId, cgroups: useCgroups, at: state.startedAt }));

    // what the recovery logged and what /proc shows, for a failure to say why (this step once failed in a
    // full run, beside three other files, and was never reproduced alone)
    const said: string[] = [];
    const next = new ProcessDriver(dir, { ...driverOptions, useCgroups, logger: { info: () => {}, warn: (m: string) => said.push(m) } });
    drivers.push(next);
    assert.deepEqual(await next.list(), [], 'the unrecorded process is not adopted');
    await waitFor('the unrecorded process to be killed', async () => (procStat(pid) === undefined || procStat(pid)!.state === 'Z' ? true : undefined), 15_000).catch((err: Error) => {
      let environ = '';
      try {
        environ = readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`PAZ_LAUNCH_ID=${state.launchId}`) ? 'still carries the launch id' : 'no longer carries the launch id';
      } catch (e) {
        environ = `unreadable: ${String(e)}`;
      }
      const st = procStat(pid);
      throw new Error(`${err.message}; pid ${pid}: ${st ? `state ${st.state}, start ${st.startTicks} (the unit's was ${state.procStartTicks})` : 'gone'}, environ ${environ}; the recovery said: ${JSON.stringify(said)}; units/: ${JSON.stringify(readdirSync(join(dir, 'units')))}`);
    });
    assert.deepEqual(readdirSync(join(dir, 'units')), [], 'the intent is gone');
    // the unit starts once again, alone
    const again = await next.start(s);
    remember(again.id);
    assert.notEqual(again.id, rt.id);
    await next.remove(s.unit);
    for (const d of [first, next]) {
      await d.close();
      drivers.splice(drivers.indexOf(d), 1);
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a state file whose pid now belongs to another process is not taken for the unit', async () => {
  const s = spec('reused', 'setInterval(() => {}, 1000)');
  const rt = await driver.start(s);
  remember(rt.id);
  await driver.stop(s.unit, 5);
  // pretend the recorded pid was reused: point the state at this test process, with a wrong start time
  const path = join(stateDir, 'units', `${s.unit}.json`);
  const state = JSON.parse(readFileSync(path, 'utf8')) as { pid: number; procStartTicks: number };
  const fake = { ...state, pid: process.pid, procStartTicks: state.procStartTicks + 1 };
  writeFileSync(path, JSON.stringify(fake));
  const r = await driver.inspect(s.unit);
  assert.equal(r?.state, 'exited', 'this test process is not the unit');
  await driver.stop(s.unit, 0); // must not signal the test process
  await driver.remove(s.unit);
});

test('remove deletes the state, the log and the cgroups, and reports destroy', async () => {
  const { events, unsubscribe } = recordEvents(driver);
  const off = await unsubscribe;
  const s = spec('doomed', 'setInterval(() => {}, 1000)', { memoryMb: 128 });
  const rt = await driver.start(s);
  const pid = remember(rt.id);
  if (!skipWithoutCgroups) for (const c of CONTROLLERS) assert.ok(existsSync(cgroupDir(c, s.unit)), `${c} cgroup exists`);
  await driver.remove(s.unit); // removing a running unit stops it first
  assert.equal(procStat(pid), undefined);
  for (const c of CONTROLLERS) assert.equal(existsSync(cgroupDir(c, s.unit)), false, `${c} cgroup removed`);
  assert.equal(existsSync(join(stateDir, 'units', `${s.unit}.json`)), false);
  assert.equal(existsSync(join(stateDir, 'logs', `${s.unit}.out`)), false);
  assert.equal(await driver.inspect(s.unit), undefined);
  assert.ok(events.some((e) => e.type === 'destroy' && e.unit === s.unit));
  await driver.remove(s.unit); // absent: no-op
  await driver.stop('never-existed', 1);
  await assert.rejects(driver.restart('never-existed'), (err: unknown) => err instanceof DriverError && err.code === 'NOT_FOUND');
  off();
});

test('without cgroups a unit runs unlimited, says so in its log, and stats come from /proc', async () => {
  const plainDir = mkdtempSync(join(tmpdir(), 'paz-process-plain-'));
  const plain = new ProcessDriver(plainDir, { useCgroups: false, logger: quietLogger });
  drivers.push(plain);
  try {
    const s = spec('plain', 'setInterval(() => {}, 1000); console.log("ready")', {
      memoryMb: 64,
      volumes: [{ hostPath: plainDir, containerPath: '/data' }],
    });
    const rt = await plain.start(s);
    remember(rt.id);
    await waitFor('ready', async () => ((await logText(plain, s.unit)).includes('ready') ? true : undefined));
    const log = await logText(plain, s.unit);
    assert.match(log, /runs without its memory\/cpu limits/);
    assert.match(log, /mounts no volumes/);
    assert.equal(existsSync(cgroupDir('memory', s.unit)), false);
    const st = await plain.stats(s.unit);
    assert.ok(st && st.memoryBytes > 1024 * 1024, 'VmRSS of the process');
    assert.equal(st.memoryLimitBytes, undefined);
    await plain.remove(s.unit);
  } finally {
    await plain.close();
    drivers.splice(drivers.indexOf(plain), 1);
    rmSync(plainDir, { recursive: true, force: true });
  }
});

test('nothing is left behind: no unit process, no cgroup, no state', async () => {
  for (const d of drivers) {
    for (const u of await d.list()) await d.remove(u.unit);
  }
  for (const d of drivers) await d.close();
  const survivors = startedPids.filter(({ pid, startTicks }) => isAlive(pid, startTicks));
  assert.deepEqual(survivors, []);
  for (const c of CONTROLLERS) {
    assert.equal(existsSync(join(CGROUP_ROOT, c, CGROUP_PARENT)), false, `${c}/${CGROUP_PARENT} removed`);
  }
  assert.deepEqual(readdirSync(join(stateDir, 'units')), []);
  assert.deepEqual(readdirSync(join(stateDir, 'logs')), []);
});
