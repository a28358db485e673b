// Issue 11, "Maintenance", against what would break it: `paz host drain ID --wait` when the replacements are
// slow, broken, or racing a deploy. Two `paz agent` processes are two hosts (process driver) on one etcd with
// `paz server`; the load goes through the router of the host that stays. The service sets no health check
// (the default probe: an HTTP answer on its port) and its instances listen only 8 s after they start.
// - a slow replacement: 0 failed requests, and each old unit retires only after its replacement answers;
// - a replacement that crashes at once: the old unit keeps running and serving, and the drain says it is
//   stuck on a crash-looping replacement (exit 1), not done; once the app can start again the drain finishes;
// - a drain started while a rolling deploy of the same service is half-way: it converges (one version, every
//   unit on the staying host, none running twice) with 0 failed requests.
// test-lane: heavy slow
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pazBin, request } from './helpers/paz-server.js';
import { waitFor } from './helpers/wait.js';
import { unitProcessesIn, watchUnitsRunningTwice } from './helpers/procs.js';
import { Load, viaRouter } from './helpers/load.js';
import { skipUnlessEtcd, startLocalCluster, type LocalCluster } from './helpers/local-agents.js';

// listens START_DELAY_MS after it starts; exits at once (code 3) while the file CRASH_IF exists
const program = `
if (require('node:fs').existsSync(process.env.CRASH_IF)) { console.error('cannot start: ' + process.env.CRASH_IF + ' exists'); process.exit(3); }
setTimeout(() => require('node:http').createServer((q, s) => s.end(process.env.PAZ_SERVICE + ' v' + process.env.PAZ_VERSION + ' i' + process.env.PAZ_INSTANCE + '\\n'))
  .listen(Number(process.env.PORT), '127.0.0.1'), Number(process.env.START_DELAY_MS));
process.on('SIGTERM', () => process.exit(0));
`;

interface UnitRow {
  name: string;
  version: number;
  host: string | null;
  healthy: boolean;
  state: string;
  restarts: number;
  endpoint?: string;
  drainingSince?: number;
}

/** `paz host drain ID --wait`, ended by the test after `limitMs` (a drain that never finishes must not hang it). */
function drainWait(c: LocalCluster, id: string, limitMs: number): Promise<{ code: number | null; out: string; seconds: number; killed: boolean }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [pazBin, 'host', 'drain', id, '--wait', '--url', c.paz.orchestrator], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let killed = false;
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGTERM');
    }, limitMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, seconds: (Date.now() - started) / 1000, killed });
    });
  });
}

describe('host drain with slow, crashing and racing replacements', { skip: skipUnlessEtcd }, () => {
  let c: LocalCluster;
  let stay = '';
  let go = '';
  let routerPort = 0;
  let marker = '';
  /** every load started, stopped in after() too: a failed assertion must not leave one running */
  const loads: Load[] = [];
  const startLoad = (): Load => {
    const l = new Load(routerPort, 'slow.paz');
    loads.push(l);
    l.start();
    return l;
  };
  let sampling = false;
  const units = async (): Promise<UnitRow[]> => (await request('GET', `${c.paz.orchestrator}/services/slow/units`)).body as UnitRow[];
  const answers = async (u: UnitRow): Promise<boolean> => !!u.endpoint && (await fetch(`http://${u.endpoint}/`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false));
  const settledOn = (version: number, host: string) =>
    waitFor(`version ${version} alone, healthy, on ${host}`, async () => {
      const us = await units();
      return us.length === 2 && us.every((u) => u.version === version && u.healthy && u.host === host && u.drainingSince === undefined) ? us : undefined;
    }, 90_000);

  before(async () => {
    c = await startLocalCluster('paz-drain-slow-', { stay: true, go: false });
    stay = c.agents.get('stay')!.id;
    go = c.agents.get('go')!.id;
    routerPort = c.agents.get('stay')!.routerPort!;
    // units run as nobody: the marker's directory must be readable by them
    const markerDir = mkdtempSync(join(tmpdir(), 'paz-drain-marker-'));
    chmodSync(markerDir, 0o755);
    marker = join(markerDir, 'crash-on-start');
    const created = await request('POST', `${c.paz.orchestrator}/services`, {
      name: 'slow',
      dockerRepository: 'local/slow',
      command: [process.execPath, '-e', program],
      env: { START_DELAY_MS: '8000', CRASH_IF: marker },
      ports: [{ container: 9000 }],
      numInstances: 2,
      rollout: { drainSeconds: 2, stopGraceSeconds: 2 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });

  after(async () => {
    sampling = false;
    for (const l of loads) await l.stop();
    if (marker) rmSync(dirname(marker), { recursive: true, force: true });
    await c?.close(['slow']);
  });

  it('a replacement that listens only after 8 s: 0 failed requests, each old unit retires only after its replacement answers', async () => {
    assert.equal((await request('POST', `${c.paz.orchestrator}/services/slow/deploy`, {})).status, 201);
    await waitFor('one healthy instance per host', async () => {
      const us = await units();
      return us.length === 2 && us.every((u) => u.healthy) && new Set(us.map((u) => u.host)).size === 2 ? us : undefined;
    }, 60_000);
    await waitFor('the router serving both', async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 10; i++) seen.add(await viaRouter(routerPort, 'slow.paz').then((r) => r.body).catch(() => ''));
      return seen.size === 2 && [...seen].every((b) => b.startsWith('slow v1'));
    }, 30_000);
    const moving = (await units()).find((u) => u.host === go)!;

    // every 200 ms: when the replacement was placed, first answered on its own endpoint, and when the old unit began to retire
    const seen = { placedAt: 0, answeredAt: 0, retiredAt: 0, replacement: '' };
    sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const us = await units().catch(() => [] as UnitRow[]);
        const replacement = us.find((u) => u.host === stay && Number(u.name.split('-').pop()) > 2);
        if (replacement && !seen.placedAt) [seen.placedAt, seen.replacement] = [Date.now(), replacement.name];
        if (replacement && !seen.answeredAt && (await answers(replacement))) seen.answeredAt = Date.now();
        const old = us.find((u) => u.name === moving.name);
        if (!seen.retiredAt && (!old || old.drainingSince !== undefined)) seen.retiredAt = Date.now();
        await new Promise((res) => setTimeout(res, 200));
      }
    })();
    const load = startLoad();
    await new Promise((r) => setTimeout(r, 1000));
    const drained = await drainWait(c, go.slice(0, 10), 90_000);
    await new Promise((r) => setTimeout(r, 1000));
    await load.stop();
    sampling = false;
    await sampler;
    const s = (ms: number) => ((ms - seen.placedAt) / 1000).toFixed(1);
    console.log(`# slow replacement: drain --wait ${drained.seconds.toFixed(1)} s, exit ${drained.code}; ${seen.replacement} placed at 0 s, answered at ${s(seen.answeredAt)} s, ${moving.name} retired at ${s(seen.retiredAt)} s`);
    console.log(`# load: ok ${load.ok}, failed ${load.failed}; answered by ${JSON.stringify(Object.fromEntries(load.bodies))}`);
    console.log(drained.out.replace(/^/gm, '# cli: '));
    assert.equal(drained.code, 0, drained.out);
    assert.match(drained.out, new RegExp(`^host ${go}: drained, no units left$`, 'm'));
    assert.equal(load.failed, 0, `failed requests: ${load.failures.slice(0, 5).join(' | ')}`);
    assert.ok(seen.placedAt > 0 && seen.answeredAt > 0 && seen.retiredAt > 0, JSON.stringify(seen));
    assert.ok(seen.answeredAt - seen.placedAt >= 7000, 'the replacement really started slowly');
    assert.ok(seen.retiredAt > seen.answeredAt, `the old unit retired (${s(seen.retiredAt)} s) only after its replacement answered (${s(seen.answeredAt)} s)`);
    await settledOn(1, stay);
  });

  it('a replacement that crashes at once: the old unit keeps serving, the drain is stuck and says why; it finishes once the app starts again', async () => {
    assert.equal((await c.cli(['host', 'undrain', go])).code, 0);
    // here the start-up delay does not matter (the replacements crash first): 1 s, so the move finishes soon after the fix
    assert.equal((await request('PATCH', `${c.paz.orchestrator}/services/slow/config/next`, { env: { START_DELAY_MS: '1000', CRASH_IF: marker } })).status, 200);
    // version 2 goes where the service has fewest units: the undrained host
    assert.equal((await request('POST', `${c.paz.orchestrator}/services/slow/deploy`, {})).status, 201);
    await settledOn(2, go);
    await waitFor('the router serving version 2', async () => (await viaRouter(routerPort, 'slow.paz').catch(() => ({ body: '' }))).body.startsWith('slow v2'), 30_000);
    const before_ = await units();

    writeFileSync(marker, 'the app cannot start from now on\n');
    const load = startLoad();
    const stuck = await drainWait(c, go, 60_000);
    const during = await units();
    const health = (await request('GET', `${c.paz.orchestrator}/cluster/hosts/${go}/health`)).body;
    const hosts = await c.cli(['hosts']);
    console.log(`# crashing replacement: drain --wait exit ${stuck.code} after ${stuck.seconds.toFixed(1)} s${stuck.killed ? ' (still waiting: ended by the test)' : ''}`);
    console.log(stuck.out.replace(/^/gm, '# cli: '));
    console.log(`# units: ${during.map((u) => `${u.name}@${u.host === go ? 'go' : 'stay'} ${u.state}${u.drainingSince ? ' draining' : ''} restarts ${u.restarts}`).join(', ')}`);
    console.log(`# host health: ${health.status}: ${(health.reasons ?? []).join(' | ')}`);
    assert.equal(stuck.killed, false, `the drain must say it is stuck, not wait forever: ${stuck.out}`);
    assert.equal(stuck.code, 1, stuck.out);
    assert.match(stuck.out, /stuck: .*crash-looping/);
    assert.match(stuck.out, /code 3/, "the replacement's own exit code");
    for (const b of before_) {
      const now = during.find((u) => u.name === b.name);
      assert.ok(now && now.host === go && now.healthy && now.drainingSince === undefined, `${b.name} keeps running on the drained host: ${JSON.stringify(now)}`);
    }
    assert.equal(health.drain.state, 'stuck');
    assert.equal(health.status, 'degraded');
    assert.match(health.reasons.join(' '), /crash-looping/);
    assert.match(hosts.stdout, new RegExp(`^${go} .* STUCK\\s*$`, 'm'));

    // the app can start again: the agent's next restart of each replacement (after its backoff) comes up and the
    // drain completes by itself; --wait then says so
    rmSync(marker);
    const fixedAt = Date.now();
    await waitFor('the drain to finish by itself', async () => (await request('GET', `${c.paz.orchestrator}/cluster/hosts/${go}/health`)).body.drain?.state === 'drained' || undefined, 120_000, 500);
    const done = await drainWait(c, go, 30_000);
    await load.stop();
    console.log(`# after the fix: drained ${((Date.now() - fixedAt) / 1000).toFixed(1)} s after the app could start again; drain --wait exit ${done.code}; load ok ${load.ok}, failed ${load.failed}`);
    assert.equal(done.code, 0, done.out);
    assert.equal(load.failed, 0, `failed requests: ${load.failures.slice(0, 5).join(' | ')}`);
    await settledOn(2, stay);
  });

  it('a drain started while a rolling deploy of the same service is half-way converges with 0 failed requests', async () => {
    assert.equal((await c.cli(['host', 'undrain', go])).code, 0);
    assert.equal((await request('PATCH', `${c.paz.orchestrator}/services/slow/config/next`, { env: { START_DELAY_MS: '8000', CRASH_IF: marker } })).status, 200);
    const dupes = watchUnitsRunningTwice([...c.agents.values()].map((a) => a.cgroup));
    const load = startLoad();
    const started = Date.now();
    assert.equal((await request('POST', `${c.paz.orchestrator}/services/slow/deploy`, {})).status, 201);
    // half-way: version 3 placed on the undrained host and starting (it answers only after 8 s)
    const half = await waitFor('version 3 starting on the other host', async () => {
      const us = await units();
      const v3 = us.filter((u) => u.version === 3);
      return v3.length === 2 && v3.every((u) => u.host === go && u.state !== 'unplaced') ? us : undefined;
    }, 30_000);
    console.log(`# drain starts ${((Date.now() - started) / 1000).toFixed(1)} s into the deploy: ${half.map((u) => `${u.name}@${u.host === go ? 'go' : 'stay'} ${u.state}`).join(', ')}`);
    const drained = await drainWait(c, go, 120_000);
    const final = await settledOn(3, stay);
    await new Promise((r) => setTimeout(r, 1000));
    await load.stop();
    const twice = dupes.stop();
    const rollout = (await request('GET', `${c.paz.orchestrator}/services/slow/rollout`)).body.doc;
    console.log(`# drain during deploy: drain --wait exit ${drained.code} after ${drained.seconds.toFixed(1)} s, converged ${((Date.now() - started) / 1000).toFixed(1)} s after the deploy; rollout ${rollout.version} ${rollout.state}`);
    console.log(`# load: ok ${load.ok}, failed ${load.failed}; answered by ${JSON.stringify(Object.fromEntries(load.bodies))}; units running twice: ${twice.length}`);
    console.log(drained.out.replace(/^/gm, '# cli: '));
    assert.equal(drained.code, 0, drained.out);
    assert.equal(load.failed, 0, `failed requests: ${load.failures.slice(0, 5).join(' | ')}`);
    assert.deepEqual(twice, [], 'no unit ran twice');
    assert.equal(rollout.version, 3);
    assert.equal(rollout.state, 'succeeded');
    assert.equal(final.length, 2);
    await waitFor('only version 3 processes left', async () => {
      const procs = unitProcessesIn([...c.agents.values()].map((a) => a.cgroup));
      return procs.length === 2 && procs.every((u) => u.startsWith('slow-3-')) ? true : undefined;
    }, 30_000);
  });
});
