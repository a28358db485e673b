/**
 * A small cluster on this machine without namespaces: one etcd member, one `paz server` on it, and `paz agent`
 * processes (process driver, their own data dirs, host ids and cgroups) as the hosts. Cheaper than
 * NetnsCluster when a test needs several hosts but not several addresses. `close()` removes everything,
 * units included (they outlive their agents on purpose, so they are ended through their cgroups).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PazProcess, pazBin, request, freePort, runPaz } from './paz-server.js';
import { tmpDir } from './env.js';
import { waitFor } from './wait.js';
import { removeCgroupParent } from './procs.js';
import { EtcdMember, findEtcdBinary } from '../../src/store/etcd/local-etcd.js';

export const skipUnlessEtcd: string | false = findEtcdBinary() === undefined && process.env.CI !== 'true' ? 'etcd is not installed (apt-get install etcd-server etcd-client)' : false;

export interface LocalAgent {
  name: string;
  id: string;
  child: ChildProcess;
  cgroup: string;
  log: string;
  /** the port of this host's router, when it runs one */
  routerPort?: number;
}

export interface LocalCluster {
  dir: string;
  etcd: EtcdMember;
  paz: PazProcess;
  agents: Map<string, LocalAgent>;
  /** the CLI against this cluster's server: exit code and output */
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  close(services?: string[]): Promise<void>;
}

/**
 * Starts etcd, a server and one agent per entry of `hosts` (true: the agent runs a router on a free port
 * bound to 127.0.0.1; false: --no-router); resolves once every agent is registered.
 */
export async function startLocalCluster(
  prefix: string,
  hosts: Record<string, boolean>,
  serverArgs: string[] = [],
  opts: {
    /** the etcd endpoint an agent (and its router) uses, given the member's (default: the member's): e.g. a cuttable proxy's */
    agentEndpoint?: (name: string, etcdEndpoint: string) => string | Promise<string>;
    /** more arguments for every agent */
    agentArgs?: string[];
  } = {},
): Promise<LocalCluster> {
  const dir = tmpDir(prefix);
  const etcd = EtcdMember.start({ name: 'local', dataDir: join(dir, 'etcd'), logFile: join(dir, 'etcd.log'), clientPort: await freePort(), peerPort: await freePort() });
  await etcd.waitUntilHealthy();
  const store = `etcd://${etcd.endpoint}`;
  const paz = new PazProcess({ role: 'server', dataDir: join(dir, 'server'), extraArgs: ['--store', store, ...serverArgs] });
  const agents = new Map<string, LocalAgent>();
  const cluster: LocalCluster = {
    dir,
    etcd,
    paz,
    agents,
    async cli(args) {
      const r = await runPaz([...args, '--url', paz.orchestrator]);
      return { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    async close(services = []) {
      if (paz.child) {
        for (const s of services) await request('DELETE', `${paz.orchestrator}/services/${s}`).catch(() => undefined);
        if (services.length) {
          await waitFor('every unit retired', async () => ((await request('GET', `${paz.orchestrator}/cluster/units`).catch(() => ({ body: [] }))).body as unknown[]).length === 0, 30_000).catch(() => undefined);
        }
      }
      for (const a of agents.values()) {
        const c = a.child;
        if (c.exitCode === null && c.signalCode === null) {
          c.kill('SIGTERM');
          await Promise.race([new Promise((r) => c.once('exit', r)), new Promise((r) => setTimeout(r, 10_000))]);
          if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
        }
        writeFileSync(join(dir, `agent-${a.name}.log`), a.log);
      }
      await paz.stop();
      await etcd.stop();
      for (const a of agents.values()) await removeCgroupParent(a.cgroup);
    },
  };
  try {
    await paz.start();
    const token = readFileSync(join(dir, 'server', 'cluster-token'), 'utf8').trim();
    for (const [name, router] of Object.entries(hosts)) {
      const routerPort = router ? await freePort() : undefined;
      const cgroup = `paz-${prefix.replace(/[^a-z0-9]/gi, '')}-${name}-${process.pid}`;
      const routerArgs = routerPort ? ['--router-port', String(routerPort), '--router-bind', '127.0.0.1'] : ['--no-router'];
      const agentStore = opts.agentEndpoint ? `etcd://${await opts.agentEndpoint(name, etcd.endpoint)}` : store;
      const child = spawn(process.execPath, [pazBin, 'agent', '--store', agentStore, '--driver', 'process', '--agent-port', '0', '--data-dir', join(dir, name), '--cgroup-parent', cgroup, '--cluster-token', token, '--log-level', 'warn', ...routerArgs, ...(opts.agentArgs ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] });
      const a: LocalAgent = { name, id: '', child, cgroup, log: '', routerPort };
      child.stdout!.on('data', (d) => (a.log += d));
      child.stderr!.on('data', (d) => (a.log += d));
      agents.set(name, a);
      a.id = await waitFor(`agent ${name} registered`, async () => {
        const file = join(dir, name, 'host-id');
        if (!existsSync(file)) return undefined;
        const id = readFileSync(file, 'utf8').trim();
        const listed = (await request('GET', `${paz.orchestrator}/cluster/hosts`)).body as Array<{ ID: string }>;
        return listed.some((h) => h.ID === id) ? id : undefined;
      }, 30_000);
    }
  } catch (err) {
    await cluster.close();
    throw err;
  }
  return cluster;
}
