/**
 * Start-up: `paz up` (fresh data dir, process driver, so Docker's own start is not counted) from spawn to
 * every API's /health answering, beside a bare `node:http` server from spawn to its first answer; and the
 * wall time of a client command (`paz services` against that `paz up`, as a user types it) beside
 * `node -e 0`, the floor any Node CLI pays.
 */
import type { Benchmark } from './lib/bench.js';
import { httpCall } from './lib/http-load.js';
import { median, msSince } from './lib/measure.js';
import { PazRole, pazBin } from './lib/paz-process.js';
import { runTimed, startBareServer, stopChild } from './lib/processes.js';
import { figure } from './lib/report.js';
import { createServices } from './lib/simulated-cluster.js';

async function bareStartMs(): Promise<number> {
  const t0 = process.hrtime.bigint();
  const bare = await startBareServer();
  try {
    const r = await httpCall(bare.port, { path: '/health' });
    if (r.status !== 200) throw new Error(`bare server answered ${r.status}`);
    return msSince(t0);
  } finally {
    await stopChild(bare.child);
  }
}

export const benchmark: Benchmark = {
  name: 'startup',
  title: 'Start-up: paz up to /health, and a client command',
  async run(ctx) {
    const rounds = ctx.pick(3, 1);
    const upMs: number[] = [];
    const bareMs: number[] = [];
    let last: PazRole | undefined;
    const notes: string[] = [];
    try {
      for (let i = 0; i < rounds; i++) {
        bareMs.push(await bareStartMs());
        await last?.close();
        last = new PazRole({ role: 'up', extraArgs: ['--driver', 'process'] });
        await last.start();
        upMs.push(last.startMs);
      }
      const up = last!;
      await createServices(up.ports, up.authHeaders, 5, 1, false);
      const calls = ctx.pick(7, 2);
      const cliMs: number[] = [];
      const nodeMs: number[] = [];
      for (let i = 0; i < calls; i++) {
        nodeMs.push((await runTimed(process.execPath, ['-e', '0'])).ms);
        const r = await runTimed(process.execPath, [pazBin, 'services'], up.cliEnv);
        if (r.code !== 0 || !r.stdout.includes('bench-svc-001')) throw new Error(`paz services failed (exit ${r.code}): ${r.stderr || r.stdout}`);
        cliMs.push(r.ms);
      }
      ctx.log(`paz up ${median(upMs).toFixed(0)} ms (bare ${median(bareMs).toFixed(0)} ms); paz services ${median(cliMs).toFixed(0)} ms (node -e 0 ${median(nodeMs).toFixed(0)} ms)`);
      notes.push(`paz up: median of ${rounds} fresh start(s) (each writes its tokens and store); \`paz services\`: median of ${calls} calls listing 5 services`);
      return {
        method: '`paz up --driver process` on a fresh data dir, from spawn to the orchestrator, directory, scheduler and agent all answering /health (polled every 10 ms), beside a bare `node:http` server from spawn to its first answer; `paz services` wall time beside `node -e 0`.',
        figures: [
          figure({ name: 'paz up to /health', unit: 'ms', value: median(upMs), baseline: { name: 'bare node:http', value: median(bareMs) }, target: { on: 'value', op: '<', value: 2000 } }),
          figure({ name: 'paz services (client command)', unit: 'ms', value: median(cliMs), baseline: { name: 'node -e 0', value: median(nodeMs) }, target: { on: 'value', op: '<', value: 200 } }),
        ],
        notes,
      };
    } finally {
      await last?.close();
    }
  },
};
