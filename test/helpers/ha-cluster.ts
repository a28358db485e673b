/**
 * What the control-plane HA tests share, on top of NetnsCluster (process driver, no Docker): three `paz server`
 * replicas and three agents on a three-member etcd, who leads, a slow-starting service, and what unit
 * processes really run on every host (read from /proc by their PAZ_UNIT variable, not from the store).
 */
import type { Store } from '../../src/store/store.js';
import { openStore } from '../../src/store/index.js';
import { keys } from '../../src/core/keys.js';
import { NetnsCluster, type ClusterHost, type ClusterProcess } from './netns-cluster.js';
import { envOf, sampleRunningTwice } from './procs.js';
import { waitFor } from './wait.js';

/**
 * A unit command that takes `startDelayMs` before it listens (a slow start, so a rollout is visibly half-way)
 * and answers "<service> v<version> i<instance>".
 */
export function slowServerCommand(startDelayMs: number): string[] {
  const js = `
const http = require('node:http');
setTimeout(() => http.createServer((q, s) => s.end(process.env.PAZ_SERVICE + ' v' + process.env.PAZ_VERSION + ' i' + process.env.PAZ_INSTANCE + '\\n'))
  .listen(Number(process.env.PORT), '0.0.0.0'), ${startDelayMs});
process.on('SIGTERM', () => process.exit(0));
`;
  return [process.execPath, '-e', js];
}

/** A service body for POST /services: process units that start slowly, probed on `/`. */
export function slowService(name: string, numInstances: number, startDelayMs: number, rollout: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    dockerRepository: `local/${name}`,
    command: slowServerCommand(startDelayMs),
    ports: [{ container: 9000 }],
    numInstances,
    healthCheck: { path: '/', intervalSeconds: 0.5 },
    rollout: { minHealthySeconds: 1, drainSeconds: 1, ...rollout },
  };
}

export interface HaCluster {
  c: NetnsCluster;
  /** the test's own client of the cluster's etcd */
  store: Store;
  /** the current server process of each host (replaced when a test restarts one) */
  servers: Map<string, ClusterProcess>;
  agents: Map<string, ClusterProcess>;
}

/** Three hosts, etcd on all three, a server and an agent on each; resolves once every agent registered. */
export async function startHaCluster(c: NetnsCluster, serverArgs: string[] = [], agentArgs: string[] = []): Promise<HaCluster> {
  await c.up();
  await c.startEtcd();
  const servers = new Map<string, ClusterProcess>();
  const agents = new Map<string, ClusterProcess>();
  for (const h of c.hosts) servers.set(h.name, await c.startServer(h, serverArgs));
  for (const h of c.hosts) agents.set(h.name, c.startAgent(h, agentArgs));
  const store = await openStore(c.etcdUrl);
  await waitFor('every agent registered', async () => (await store.range(keys.hostsPrefix())).kvs.length === c.hosts.length, 60_000);
  return { c, store, servers, agents };
}

/** The server process whose control loops lead now (the election key's value is `<pid>-<random>`), if any. */
export async function leaderOf(ha: HaCluster): Promise<{ host: ClusterHost; process: ClusterProcess; id: string } | undefined> {
  const id = (await ha.store.get(keys.election('control')))?.value;
  if (!id) return undefined;
  const pid = Number(id.split('-')[0]);
  for (const [name, p] of ha.servers) {
    if (p.child.pid === pid && p.child.exitCode === null && p.child.signalCode === null) return { host: p.host, process: p, id };
  }
  return undefined;
}

export interface UnitProcess {
  host: string;
  pid: number;
  unit: string;
  version: number;
}

/** Every live unit process on every host (by the PAZ_UNIT variable the process driver sets). */
export function unitProcesses(c: NetnsCluster): UnitProcess[] {
  const out: UnitProcess[] = [];
  for (const h of c.hosts) {
    for (const pid of c.pidsOf(h)) {
      const unit = envOf(pid, 'PAZ_UNIT');
      if (unit) out.push({ host: h.name, pid, unit, version: Number(envOf(pid, 'PAZ_VERSION')) });
    }
  }
  return out;
}

/** Unit names that more than one live process carries, with where they run. */
export function duplicates(procs: UnitProcess[]): string[] {
  const by = new Map<string, UnitProcess[]>();
  for (const p of procs) by.set(p.unit, [...(by.get(p.unit) ?? []), p]);
  return [...by].filter(([, ps]) => ps.length > 1).map(([u, ps]) => `${u} on ${ps.map((p) => `${p.host}:${p.pid}`).join(',')}`);
}

/**
 * Samples the unit processes every `everyMs` until stopped and remembers every moment a unit ran twice.
 * A unit restarted by its agent between two samples is one process at each sample, never two.
 */
export function watchForDuplicates(c: NetnsCluster, everyMs = 300): { stop(): string[]; samples(): number } {
  return sampleRunningTwice(() => duplicates(unitProcesses(c)), everyMs);
}

/** Any server of the cluster that answers (the orchestrator URL), preferring `prefer`'s host. */
export async function liveOrchestrator(ha: HaCluster, avoid?: ClusterHost): Promise<string> {
  return waitFor('a live orchestrator', async () => {
    for (const h of ha.c.hosts) {
      if (h === avoid) continue;
      const p = ha.servers.get(h.name);
      if (!p || p.child.exitCode !== null || p.child.signalCode !== null) continue;
      if ((await ha.c.get(`${ha.c.orchestrator(h)}/health`)).status === 200) return ha.c.orchestrator(h);
    }
    return undefined;
  }, 60_000);
}
