// Issue 11, "Addresses", against what would break it: `--address` given as a host name that later moves. Three
// hosts (network namespaces, process driver, a router on each) on etcd; h2's agent is started with
// `--address node-h2.paz-test`, resolved through a hosts file of the agent's own mount namespace (no system
// file is touched). While everything runs, the test points the name elsewhere, then removes it, then puts it
// back:
// - moved (to another host's address) or gone, h2 shows the problem (its host health, `paz hosts`), saying
//   what the name resolves to now and where its instances stay announced;
// - meanwhile routes do not silently break: load through the other hosts' routers and h2's own gets 0 failed
//   requests and keeps reaching h2's instance, and a deploy during it reaches every host's router;
// - put back, the problem clears;
// - restarting the agent while the name points at another host (what "restart the agent" advice would lead to)
//   is refused with why: it used to start and announce h2's instances at h3's address, silently.
// test-lane: heavy slow
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pazBin, runPaz } from './helpers/paz-server.js';
import { waitFor } from './helpers/wait.js';
import { Load, viaRouter } from './helpers/load.js';
import { NetnsCluster, type ClusterHost, type ClusterProcess } from './helpers/netns-cluster.js';

const skip = NetnsCluster.unavailableReason({ etcd: true }) ?? false;
const NAME = 'node-h2.paz-test';

const program = `
require('node:http').createServer((q, s) => s.end(process.env.PAZ_SERVICE + ' v' + process.env.PAZ_VERSION + ' i' + process.env.PAZ_INSTANCE + '\\n'))
  .listen(Number(process.env.PORT), '0.0.0.0');
process.on('SIGTERM', () => process.exit(0));
`;

/** argv run inside a mount namespace of its own where /etc/hosts is `hosts` (the machine's stays as it is) */
function withHostsFile(hosts: string, argv: string[]): string[] {
  return ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hosts, ...argv];
}

interface HostHealth {
  status: string;
  reasons: string[];
}

describe('--address given as a host name that moves while the agent runs', { skip }, () => {
  const c = new NetnsCluster({ hosts: 3 });
  let h1: ClusterHost;
  let h2: ClusterHost;
  let h3: ClusterHost;
  let hostsFile = '';
  let h2Agent: ClusterProcess;
  const h2AgentArgv = () => withHostsFile(hostsFile, [
    process.execPath, pazBin, 'agent', '--store', c.etcdUrl, '--driver', 'process', '--cgroup-parent', c.cgroupParent(h2), '--address', NAME, '--agent-bind', h2.ip,
    '--data-dir', join(h2.dir, 'agent'), '--label', 'name=h2', '--cluster-token', c.clusterToken, '--log-level', 'info',
  ]);
  let h2Id = '';
  /** the loads through each host's router, stopped in after() too: a failed assertion must not leave them running */
  let loads: Load[] = [];
  const health = async (): Promise<HostHealth> => (await c.api('GET', `${c.orchestrator()}/cluster/hosts/${h2Id}/health`)).body;
  const pazHosts = async () => runPaz(['hosts', '--url', c.orchestrator()], '', { PAZ_TOKEN: c.token });
  const setName = (to: string | undefined) => writeFileSync(hostsFile, `127.0.0.1 localhost\n${to ? `${to} ${NAME}\n` : ''}`);
  /** what every router answers for web.paz, by answer, over `n` requests each */
  const routed = async (n = 12): Promise<Record<string, string[]>> => {
    const out: Record<string, string[]> = {};
    for (const h of c.hosts) {
      const seen = new Set<string>();
      for (let i = 0; i < n; i++) seen.add(await viaRouter(80, 'web.paz', '/', undefined, h.ip).then((r) => `${r.status} ${r.body.trim()}`, (e) => String(e)));
      out[h.name] = [...seen].sort();
    }
    return out;
  };

  before(async () => {
    [h1, h2, h3] = c.hosts;
    await c.up();
    await c.startEtcd(1);
    await c.startServer(h1, ['--host-loss-grace', '30']);
    c.startAgent(h1);
    c.startAgent(h3);
    hostsFile = join(h2.dir, 'hosts');
    setName(h2.ip);
    h2Agent = c.start(h2, 'agent', h2AgentArgv());
    const hosts = await c.registeredHosts();
    h2Id = hosts.find((h) => h.PublicIP === h2.ip)?.ID ?? '';
    assert.ok(h2Id, `h2 announced at its IP, the name resolved: ${JSON.stringify(hosts)}`);
    const created = await c.api('POST', `${c.orchestrator()}/services`, {
      name: 'web', dockerRepository: 'local/web', command: [process.execPath, '-e', program], ports: [{ container: 9000 }], numInstances: 3, conflictsWith: 'web',
      rollout: { drainSeconds: 1, stopGraceSeconds: 2 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });

  after(async () => {
    for (const l of loads) await l.stop();
    await c.down();
  });

  it('starts healthy: the name resolves to h2, every router reaches the instance on every host', async () => {
    assert.equal((await c.api('POST', `${c.orchestrator()}/services/web/deploy`, {})).status, 201);
    const answers = await waitFor('every router serving the three instances', async () => {
      const r = await routed();
      return Object.values(r).every((a) => a.length === 3 && a.every((x) => x.startsWith('200 web v1'))) ? r : undefined;
    }, 60_000);
    console.log(`# routers at start: ${JSON.stringify(answers)}`);
    assert.equal((await health()).status, 'healthy');
  });

  it('the name moves, then is gone: h2 shows the problem, routes keep working and follow a deploy; put back, the problem clears', async () => {
    loads = c.hosts.map((h) => new Load(80, 'web.paz', 20_000, undefined, h.ip));
    for (const l of loads) l.start();
    // the name now points at another host of the cluster (a DNS record reassigned)
    const wrong = h3.ip;
    const moveAt = Date.now();
    setName(wrong);
    const moved = await waitFor('h2 to show the moved name', async () => {
      const h = await health();
      return h.status !== 'healthy' && h.reasons.some((r) => r.includes(`--address ${NAME} now resolves to ${wrong}`)) ? h : undefined;
    }, 30_000);
    const shownAfter = (Date.now() - moveAt) / 1000;
    const listed = await pazHosts();
    console.log(`# moved to ${wrong}: shown after ${shownAfter.toFixed(1)} s; h2 ${moved.status}: ${moved.reasons.join(' | ')}`);
    console.log(listed.stdout.replace(/^/gm, '# paz hosts: '));
    assert.equal(moved.status, 'degraded', 'a problem of the host, not a dead host');
    assert.match(moved.reasons.join(' '), new RegExp(`which is not an address of this host; instances stay announced at ${h2.ip.replace(/\./g, '\\.')}: point ${NAME.replace(/\./g, '\\.')} back at this host`));
    assert.match(listed.stdout, new RegExp(`^${h2Id}\\s+${h2.ip.replace(/\./g, '\\.')}\\s.*\\bfalse\\b`, 'm'), 'paz hosts shows h2 not healthy');

    // a deploy while the name points elsewhere: every router follows it, h2's instance included
    assert.equal((await c.api('POST', `${c.orchestrator()}/services/web/deploy`, {})).status, 201);
    const v2 = await waitFor('every router serving version 2 from the three hosts', async () => {
      const r = await routed();
      return Object.values(r).every((a) => a.length === 3 && a.every((x) => x.startsWith('200 web v2'))) ? r : undefined;
    }, 90_000);
    const units = await waitFor('version 2 alone', async () => {
      const us = (await c.api('GET', `${c.orchestrator()}/services/web/units`)).body as Array<{ name: string; host: string; endpoint: string; version: number }>;
      return us.length === 3 && us.every((u) => u.version === 2) ? us : undefined;
    }, 30_000);
    const endpoints = units.map((u) => u.endpoint.split(':')[0]).sort();
    const onH2 = units.find((u) => u.host === h2Id)!;
    console.log(`# deploy while moved: ${JSON.stringify(v2)}; endpoints ${endpoints.join(', ')}; on h2: ${onH2.name}`);
    assert.deepEqual(endpoints, c.hosts.map((h) => h.ip).sort(), "h2's instance announced at its real IP, not where the name points");

    setName(undefined);
    const gone = await waitFor('h2 to show the name gone', async () => {
      const h = await health();
      return h.reasons.some((r) => r.includes(`--address ${NAME} no longer resolves`)) ? h : undefined;
    }, 30_000);
    console.log(`# name removed: h2 ${gone.status}: ${gone.reasons.join(' | ')}`);
    assert.equal(gone.status, 'degraded');

    const backAt = Date.now();
    setName(h2.ip);
    const back = await waitFor('the problem to clear', async () => {
      const h = await health();
      return h.status === 'healthy' ? h : undefined;
    }, 30_000);
    const clearedAfter = (Date.now() - backAt) / 1000;
    await new Promise((r) => setTimeout(r, 1000));
    for (const l of loads) await l.stop();
    const listedBack = await pazHosts();
    console.log(`# put back: cleared after ${clearedAfter.toFixed(1)} s (${back.status})`);
    c.hosts.forEach((h, i) => console.log(`# load via ${h.name}'s router: ok ${loads[i].ok}, failed ${loads[i].failed}; answered by ${JSON.stringify(Object.fromEntries(loads[i].bodies))}`));
    assert.match(listedBack.stdout, new RegExp(`^${h2Id}\\s+${h2.ip.replace(/\./g, '\\.')}\\s.*\\btrue\\b`, 'm'));
    const onH2Now = ((await c.api('GET', `${c.orchestrator()}/services/web/units`)).body as Array<{ host: string; version: number; instance: number }>).find((u) => u.host === h2Id)!;
    for (const [i, l] of loads.entries()) {
      assert.equal(l.failed, 0, `${c.hosts[i].name}'s router: ${l.failures.slice(0, 5).join(' | ')}`);
      assert.ok((l.bodies.get(`web v${onH2Now.version} i${onH2Now.instance}`) ?? 0) > 0, `${c.hosts[i].name}'s router kept reaching h2's instance: ${JSON.stringify(Object.fromEntries(l.bodies))}`);
    }
  });

  it('restarting the agent while its name points at another host (as the problem says to) is refused, saying why; put back, it rejoins', async () => {
    const hostId = readFileSync(join(h2.dir, 'agent', 'host-id'), 'utf8').trim();
    h2Agent.child.kill('SIGTERM');
    await h2Agent.exited;
    setName(h3.ip);
    const refused = c.start(h2, 'agent-moved', h2AgentArgv());
    const exit = await Promise.race([refused.exited.then(() => refused.child.exitCode), new Promise((r) => setTimeout(() => r('still running'), 20_000))]);
    const said = readFileSync(refused.log, 'utf8').trim();
    const endpoints = ((await c.api('GET', `${c.orchestrator()}/cluster/hosts`)).body as Array<{ ID: string; PublicIP: string }>).map((h) => `${h.ID.slice(0, 8)}=${h.PublicIP}`);
    console.log(`# restart while ${NAME} -> ${h3.ip}: exit ${exit}: ${said.split('\n').slice(-1)[0]}; hosts ${endpoints.join(', ')}`);
    if (exit === 'still running') refused.child.kill('SIGTERM');
    assert.equal(exit, 2, `refused before anything is announced: ${said.slice(-2000)}`);
    assert.match(said, new RegExp(`paz agent: --address ${NAME.replace(/\./g, '\\.')} resolves to ${h3.ip.replace(/\./g, '\\.')}, which is not an address of this host`));
    assert.ok(!endpoints.some((e) => e.startsWith(hostId.slice(0, 8)) && e.endsWith(`=${h3.ip}`)), 'h2 is never announced at h3\'s address');

    setName(h2.ip);
    h2Agent = c.start(h2, 'agent-back', h2AgentArgv());
    const back = await waitFor('h2 back, healthy, at its own address', async () => {
      const hosts = (await c.api('GET', `${c.orchestrator()}/cluster/hosts`)).body as Array<{ ID: string; PublicIP: string; healthy: boolean }>;
      const h = hosts.find((x) => x.ID === hostId);
      return h && h.PublicIP === h2.ip && h.healthy ? h : undefined;
    }, 60_000);
    assert.equal(back.ID, hostId, 'the same host');
    await waitFor('every router serving the three instances again', async () => Object.values(await routed()).every((a) => a.length === 3) || undefined, 30_000);
  });
});
