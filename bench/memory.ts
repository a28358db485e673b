/**
 * Memory: resident set size (VmRSS) of an idle `paz agent`, an idle `paz server`, an idle `paz up`, and
 * of the server and the agent with 1,000 units known, beside a bare `node:http` server's RSS measured in
 * the same run. Each is sampled after it settled (GC and start-up allocations done).
 *
 * The 1,000 units run on simulated hosts (lib/simulated-cluster.ts), placed by the server's control plane:
 * the server holds them in its views, the real agent learns them through its watches and routes to them
 * (its router gets every endpoint), as an agent of a 1,000-unit cluster does. The agent starts after they
 * were placed, so none lands on its own host. Only the Node process is counted (not HAProxy, not dockerd).
 */
import { join } from 'node:path';
import type { Benchmark, BenchContext } from './lib/bench.js';
import { median, sleep } from './lib/measure.js';
import { PazRole } from './lib/paz-process.js';
import { rssMiB, startBareServer, stopChild } from './lib/processes.js';
import { figure, type Figure } from './lib/report.js';
import { SimulatedAgents, createServices } from './lib/simulated-cluster.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

/**
 * How long after a process answered (or was given its units) its RSS is first sampled. "Idle" is the process's
 * life after start-up: V8's memory reducer runs its first full GC some seconds into an idle process, and until
 * then RSS still holds start-up's garbage (an agent with the Docker driver sampled each second: 58.8 MiB for its
 * first 8 s, then 55.4–56.8 for the next 30; sampled from 5 s, the figure was that garbage's).
 */
const SETTLE_MS = 12_000;

/** median RSS of a few samples taken once the process settled (SETTLE_MS) */
async function settledRss(ctx: BenchContext, pid: number): Promise<number> {
  await sleep(ctx.pick(SETTLE_MS, 300));
  const samples: number[] = [];
  for (let i = 0; i < ctx.pick(5, 2); i++) {
    samples.push(rssMiB(pid));
    await sleep(ctx.pick(400, 50));
  }
  return median(samples);
}

function agentArgs(): string[] {
  // the Docker driver when the test environment gives a dockerd, as a real host runs; else processes
  return ['--driver', process.env.DOCKER_HOST ? 'docker' : 'process'];
}

export const benchmark: Benchmark = {
  name: 'memory',
  title: 'Memory: RSS of idle and loaded server, agent and paz up',
  async run(ctx) {
    const services = ctx.pick(50, 5);
    const instances = ctx.pick(20, 2);
    const units = services * instances;
    const bare = await startBareServer();
    const server = new PazRole({ role: 'server' });
    const up = new PazRole({ role: 'up', extraArgs: agentArgs() });
    let agent: PazRole | undefined;
    let store: SqliteStore | undefined;
    let sim: SimulatedAgents | undefined;
    const figures: Figure[] = [];
    try {
      const baseline = { name: 'bare node:http', value: await settledRss(ctx, bare.child.pid!) };
      await server.start();
      const serverIdle = await settledRss(ctx, server.pid);
      agent = new PazRole({ role: 'agent', dataDir: server.dataDir, extraArgs: agentArgs() });
      await agent.start();
      const agentIdle = await settledRss(ctx, agent.pid);
      await agent.stop();
      await up.start();
      const upIdle = await settledRss(ctx, up.pid);
      await up.close();

      store = new SqliteStore(join(server.dataDir, 'paz.db'));
      sim = new SimulatedAgents(store, 20);
      await sim.start();
      await createServices(server.ports, server.authHeaders, services, instances);
      await sim.waitForUnits(units);
      agent = new PazRole({ role: 'agent', dataDir: server.dataDir, extraArgs: agentArgs() });
      await agent.start();
      const [agentLoaded, serverLoaded] = await Promise.all([settledRss(ctx, agent.pid), settledRss(ctx, server.pid)]);
      ctx.log(`bare ${baseline.value.toFixed(0)} MiB; idle: server ${serverIdle.toFixed(0)}, agent ${agentIdle.toFixed(0)}, up ${upIdle.toFixed(0)}; ${units} units: server ${serverLoaded.toFixed(0)}, agent ${agentLoaded.toFixed(0)} MiB`);
      figures.push(
        figure({ name: 'paz agent, idle', unit: 'MiB', value: agentIdle, baseline, target: { on: 'value', op: '<=', value: 60 } }),
        figure({ name: 'paz server, idle', unit: 'MiB', value: serverIdle, baseline, target: { on: 'value', op: '<=', value: 120 } }),
        figure({ name: 'paz up, idle', unit: 'MiB', value: upIdle, baseline }),
        figure({ name: `paz agent, ${units} units known`, unit: 'MiB', value: agentLoaded, baseline }),
        figure({ name: `paz server, ${units} units known`, unit: 'MiB', value: serverLoaded, baseline }),
      );
      return {
        method: `VmRSS of each Node process once it settled (median of samples from ${SETTLE_MS / 1000} s on, after V8's first idle GC), beside a bare \`node:http\` server's; the agent runs the ${agentArgs()[1]} driver with its router; ${units} units on 20 simulated hosts (placed by the server's control plane), the real agent started after their placement.`,
        figures,
        notes: ['RSS counts the Node process only: HAProxy, dockerd and the units are separate processes'],
      };
    } finally {
      await agent?.stop();
      await sim?.stop().catch(() => undefined);
      await store?.close().catch(() => undefined);
      await up.close();
      await server.close();
      await stopChild(bare.child);
    }
  },
};
