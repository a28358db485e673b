// test-lane: light slow
/**
 * A real host cut off from etcd for longer than the store keeps its history: its agent and router come back to
 * watches that cannot be resumed (etcd compacted past the revision they were at) and must catch up by reading
 * again, then follow the store by watch as before. Unit-level, store-loop-refollow.test.ts shows a StoreLoop
 * opening a dead watch again; here it is the whole host: `paz agent` (process driver) with its router (HAProxy),
 * reaching etcd through a TCP proxy the test cuts, beside a second agent and a `paz server` that are not cut.
 *
 * The cut lasts longer than the host's lease (10 s: its registration and endpoints expire, so the deploy made
 * meanwhile places nothing on it) and shorter than the fence (the host-loss grace, 30 s by default: the host
 * keeps running its units, and the control plane places none of them elsewhere). That is the case where the
 * host has nothing to start again from scratch: it keeps its lease-less state, the unit it runs was retired
 * while it was away, and only what it reads from the store on its return tells it so. Cut longer than the fence,
 * the agent would stop everything and rejoin (host-partition-fence.test.ts), which reads everything anyway.
 *
 * While it is cut: a new version, scaled from 2 to 3 instances, is deployed through the server (all onto the
 * other host), the old version retired, and etcd compacted past every revision the host's watches had seen.
 * After the heal: the host's router sends `web.paz` to the new version only, the host runs none of the retired
 * units (and nothing twice), and a deploy after the heal reaches its agent and router by watch.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from './helpers/paz-server.js';
import { waitFor } from './helpers/wait.js';
import { viaRouter } from './helpers/load.js';
import { unitProcessesIn, watchUnitsRunningTwice } from './helpers/procs.js';
import { cuttableProxy, type TcpProxy } from './helpers/tcp-proxy.js';
import { skipUnlessEtcd as skip, startLocalCluster, type LocalCluster } from './helpers/local-agents.js';
import { EtcdStore } from '../src/store/etcd/etcd-store.js';
import { fenceAfterMs } from '../src/core/store-fence.js';
import { DEFAULT_HEARTBEAT_TTL_SECONDS, DEFAULT_HOST_LOSS_GRACE_SECONDS } from '../src/core/heartbeat.js';

const SERVICE = 'web';
/** the cut-off host's units stop after this long without a lease renewal (30 s with the defaults) */
const FENCE_AFTER_MS = fenceAfterMs({ graceMs: DEFAULT_HOST_LOSS_GRACE_SECONDS * 1000, leaseTtlMs: DEFAULT_HEARTBEAT_TTL_SECONDS * 1000 });

const server = `
require('node:http').createServer((q, s) => s.end(process.env.PAZ_SERVICE + ' v' + process.env.PAZ_VERSION + ' i' + process.env.PAZ_INSTANCE + '\\n'))
  .listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

interface UnitRow {
  name: string;
  version: number;
  host: string | null;
  healthy: boolean;
}

describe('a host cut off from etcd longer than its compaction window catches up on its return', { skip }, () => {
  let c: LocalCluster;
  let proxy: (TcpProxy & { cut(): void; heal(): void }) | undefined;
  let direct: EtcdStore | undefined;
  const units = async (): Promise<UnitRow[]> => (await request('GET', `${c.paz.orchestrator}/services/${SERVICE}/units`)).body as UnitRow[];
  const api = (method: string, path: string, body?: unknown) => request(method, `${c.paz.orchestrator}${path}`, body);
  /** what answers web.paz through the cut-off host's router, over `n` requests: body → count (status ≠ 200 counted by status) */
  const routed = async (n = 9): Promise<Record<string, number>> => {
    const t: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const r = await viaRouter(c.agents.get('cut')!.routerPort!, `${SERVICE}.paz`).catch((err: Error) => ({ status: 0, body: err.message }));
      const k = r.status === 200 ? r.body.trim() : `status ${r.status}`;
      t[k] = (t[k] ?? 0) + 1;
    }
    return t;
  };
  const onlyVersion = (t: Record<string, number>, v: number) => Object.keys(t).length > 0 && Object.keys(t).every((k) => k.startsWith(`${SERVICE} v${v} `));
  /** the unit names that run as processes on the cut-off host, one entry per process */
  const runningOnCut = () => unitProcessesIn([c.agents.get('cut')!.cgroup]).filter((u) => u.startsWith(`${SERVICE}-`)).sort();
  const desiredOn = async (host: string) => (await units()).filter((u) => u.host === host).map((u) => u.name).sort();

  before(async () => {
    // the host `cut` runs the router the test goes through and reaches etcd through the proxy; `other` does not
    c = await startLocalCluster('paz-cutoff-', { cut: true, other: false }, [], {
      // no periodic pass within the test: the host catches up when its watches die and follows them after, or never
      agentArgs: ['--resync-seconds', '600'],
      agentEndpoint: async (name, endpoint) => {
        if (name !== 'cut') return endpoint;
        proxy = await cuttableProxy(Number(endpoint.split(':').pop()));
        return `127.0.0.1:${proxy.where}`;
      },
    });
    direct = new EtcdStore([c.etcd.endpoint]);
  });

  after(async () => {
    // what the cut-off agent said, for a failure's diagnosis
    if (process.env.PAZ_TEST_LOG) for (const line of (c?.agents.get('cut')?.log ?? '').split('\n').slice(-60)) console.log(`# cut agent: ${line.slice(0, 400)}`);
    proxy?.heal();
    await c?.close([SERVICE]);
    await direct?.close();
    await proxy?.close();
  });

  it('routes to the version deployed meanwhile, runs only what is desired for it, and follows later changes by watch', async () => {
    const cutId = c.agents.get('cut')!.id;
    const created = await api('POST', '/services', {
      name: SERVICE,
      dockerRepository: `local/${SERVICE}`,
      command: [process.execPath, '-e', server],
      ports: [{ container: 9000 }],
      numInstances: 2,
      healthCheck: { path: '/', intervalSeconds: 0.5 },
      rollout: { minHealthySeconds: 0, drainSeconds: 1, stopGraceSeconds: 2 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await api('POST', `/services/${SERVICE}/deploy`, {})).status, 201);
    const v1 = await waitFor('two healthy instances of v1, one on each host', async () => {
      const u = await units();
      return u.length === 2 && u.every((x) => x.healthy) && new Set(u.map((x) => x.host)).size === 2 ? u : undefined;
    }, 60_000);
    const staleOnCut = v1.filter((u) => u.host === cutId).map((u) => u.name);
    await waitFor('web.paz routed to v1 through the cut-off host', async () => onlyVersion(await routed(), 1), 20_000);
    assert.deepEqual(runningOnCut(), staleOnCut, 'the cut-off host runs its v1 unit');
    const cutFrom = await direct!.revision();

    // cut off; once its lease has expired (the host is gone from the cluster), v2 with 3 instances is deployed
    proxy!.cut();
    const cutAt = Date.now();
    await waitFor('the cut-off host gone from the cluster (its lease expired)', async () => {
      const hosts = (await api('GET', '/cluster/hosts')).body as Array<{ ID: string }>;
      return !hosts.some((h) => h.ID === cutId);
    }, 30_000, 250);
    const patched = await api('PATCH', `/services/${SERVICE}/config/next`, { numInstances: 3 });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const deployed = await api('POST', `/services/${SERVICE}/deploy`, {});
    assert.equal(deployed.status, 201, JSON.stringify(deployed.body));
    assert.equal(deployed.body.doc.version, 2);
    await waitFor('v2 healthy and v1 retired (as the server sees it)', async () => {
      const u = await units();
      return u.length === 3 && u.every((x) => x.version === 2 && x.healthy) ? u : undefined;
    }, 30_000, 250);
    // the store moves on and compacts past every revision the cut-off host's watches had seen
    for (let i = 0; i < 20; i++) await direct!.put(`/paz-test/while-away/${i}`, String(i));
    await direct!.compact(await direct!.revision());
    const cutMs = Date.now() - cutAt;
    console.log(`# cut for ${(cutMs / 1000).toFixed(1)} s (lease ${DEFAULT_HEARTBEAT_TTL_SECONDS} s, fence after ${FENCE_AFTER_MS / 1000} s); compacted from revision ${cutFrom} to ${await direct!.revision()}`);
    // the case this test is about: cut past its lease, not fenced (it keeps its units and its views)
    assert.ok(cutMs < FENCE_AFTER_MS - 5_000, `the cut (${cutMs} ms) ends well before the fence (${FENCE_AFTER_MS} ms)`);
    assert.deepEqual(runningOnCut(), staleOnCut, 'while cut off, the host still runs its v1 unit (not fenced)');

    const logFrom = c.agents.get('cut')!.log.length;
    const twice = watchUnitsRunningTwice([c.agents.get('cut')!.cgroup], 100);
    proxy!.heal();
    const healAt = Date.now();
    const v2Routed = await waitFor('web.paz routed to v2 only through the healed host', async () => {
      const t = await routed();
      return onlyVersion(t, 2) ? t : undefined;
    }, 30_000, 20);
    const routedMs = Date.now() - healAt;
    await waitFor('the retired v1 unit stopped on the healed host', async () => runningOnCut().length === 0, 30_000, 20);
    const stoppedMs = Date.now() - healAt;
    await waitFor('the healed host registered again', async () => ((await api('GET', '/cluster/hosts')).body as Array<{ ID: string }>).some((h) => h.ID === cutId), 30_000, 100);
    console.log(`# after the heal: v2 routed in ${routedMs} ms (${JSON.stringify(v2Routed)}), the retired unit stopped in ${stoppedMs} ms`);
    const healedLog = c.agents.get('cut')!.log.slice(logFrom);
    // how much of that was the store client connecting again (grpc-js's backoff after the failed attempts of the cut)
    const firstCompacted = healedLog.split('\n').filter((l) => l.includes('StoreCompactedError')).map((l) => (JSON.parse(l) as { time: number }).time)[0];
    console.log(`# the store client back (first compacted watch reported) ${firstCompacted !== undefined ? `${firstCompacted - healAt} ms` : '?'} after the heal`);
    console.log(`# the healed agent's log: ${(healedLog.match(/watch failed; opening it again/g) ?? []).length} watches opened again, ${(healedLog.match(/reading (them|endpoints or units) again/g) ?? []).length} views read again`);
    assert.deepEqual(await desiredOn(cutId), [], 'nothing of v2 placed on the host while it was away');

    // a deploy after the heal (v3, 4 instances): its units on this host start, and its router sends to v3, by watch
    assert.equal((await api('PATCH', `/services/${SERVICE}/config/next`, { numInstances: 4 })).status, 200);
    const deployAt = Date.now();
    const v3 = await api('POST', `/services/${SERVICE}/deploy`, {});
    assert.equal(v3.status, 201, JSON.stringify(v3.body));
    const mine = await waitFor('v3 units placed on the healed host', async () => {
      const d = (await units()).filter((u) => u.host === cutId && u.version === 3).map((u) => u.name);
      return d.length > 0 ? d.sort() : undefined;
    }, 30_000, 20);
    await waitFor('the healed host runs its v3 units', async () => mine.every((u) => runningOnCut().includes(u)), 30_000, 20);
    const startedMs = Date.now() - deployAt;
    await waitFor('web.paz routed to v3 only through the healed host', async () => onlyVersion(await routed(), 3), 30_000, 20);
    const v3RoutedMs = Date.now() - deployAt;
    await waitFor('v3 healthy everywhere', async () => {
      const u = await units();
      return u.length === 4 && u.every((x) => x.version === 3 && x.healthy);
    }, 30_000, 100);
    // exactly the desired units once the old ones have stopped (v2's drain and stop grace), each once throughout
    const running = await waitFor('the healed host runs exactly its desired units', async () => {
      const [now, desired] = [runningOnCut(), await desiredOn(cutId)];
      return now.join() === desired.join() ? now : undefined;
    }, 30_000, 100);
    assert.deepEqual(twice.stop(), [], 'no unit ran twice on the healed host');
    console.log(`# deploy after the heal: ${mine.length} unit(s) on the healed host started in ${startedMs} ms, v3 routed in ${v3RoutedMs} ms; runs ${running.join(' ')}`);
  });
});
