/**
 * API reads: `GET /services` with 50 services and `GET /cluster/units` with 1,000 units, 64 keep-alive
 * clients for a fixed time, beside a bare `node:http` server answering the same bytes (fetched from Paz
 * once). While Paz is under load a separate process probes its `/health` on new connections.
 * `/cluster/units` is measured as fetch asks for it (`Accept-Encoding: gzip, deflate`: Paz sends its gzip,
 * made once per answer) and, so that nothing is hidden, as a client that takes no compression.
 *
 * The server under test is a real `paz server` process (SQLite store, API tokens on: every request
 * carries the admin token). Its 1,000 units come from simulated agents (lib/simulated-cluster.ts):
 * 20 hosts whose units the real control plane placed and whose statuses and endpoints are written as
 * agents write them. The load generator is this process; the baseline and Paz each run in their own
 * process, so the generator's cost is the same on both sides (on 2 cores it competes with the server:
 * the ratio is what to read).
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark, BenchContext } from './lib/bench.js';
import { runLoad, httpCall, type LoadResult } from './lib/http-load.js';
import { percentile, sleep, until } from './lib/measure.js';
import { PazRole, pazJson } from './lib/paz-process.js';
import { startBareServer, startProbe, stopChild } from './lib/processes.js';
import { figure, type Figure } from './lib/report.js';
import { SimulatedAgents, createServices } from './lib/simulated-cluster.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

const CONCURRENCY = 64;

/** the round with the median throughput */
function medianRound(rounds: LoadResult[]): LoadResult {
  return [...rounds].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor(rounds.length / 2)];
}

/**
 * How a client asks: identity (no Accept-Encoding, as the benchmark always asked before) or as browsers and
 * fetch (undici: `gzip, deflate` over http) ask, which gets the answer compressed. The bare server then
 * answers the very bytes Paz sent for that request, compressed ones included, with the same
 * `content-encoding`: both sides send the same bytes, and neither side's client decodes them.
 */
interface Asking {
  label: string;
  headers: Record<string, string>;
}
const IDENTITY: Asking = { label: '', headers: {} };
const AS_FETCH: Asking = { label: ' (gzip, as fetch asks)', headers: { 'accept-encoding': 'gzip, deflate' } };

async function measureEndpoint(ctx: BenchContext, paz: PazRole, path: string, file: string, asking: Asking = IDENTITY): Promise<{ figures: Figure[]; notes: string[] }> {
  const headers = { ...paz.authHeaders, ...asking.headers };
  const answer = await httpCall(paz.ports.orchestrator, { path, headers, timeoutMs: 30_000 });
  if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status} ${answer.body.toString('utf8', 0, 200)}`);
  const encoding = answer.headers['content-encoding'];
  if (asking.headers['accept-encoding'] && !encoding) throw new Error(`GET ${path} with Accept-Encoding: ${asking.headers['accept-encoding']} was not compressed`);
  writeFileSync(file, answer.body);
  const bare = await startBareServer(file, 'application/json; charset=utf-8', encoding ? { 'content-encoding': encoding, vary: 'Accept-Encoding' } : {});
  const name = `GET ${path}${asking.label}`;
  const durationMs = ctx.pick(10_000, 1_000);
  const rounds = ctx.pick(3, 1);
  try {
    // warm-up: JIT, connection set-up, caches
    await runLoad({ port: bare.port, path, headers, concurrency: CONCURRENCY, durationMs: ctx.pick(2000, 300) });
    await runLoad({ port: paz.ports.orchestrator, path, headers, concurrency: CONCURRENCY, durationMs: ctx.pick(2000, 300) });
    // /health with no load, the probe's baseline
    const idleProbe = await startProbe(paz.ports.orchestrator, '/health', 50);
    await sleep(ctx.pick(3000, 300));
    const idle = (await idleProbe.stop()).sort((x, y) => x - y);
    const bareRounds: LoadResult[] = [];
    const pazRounds: LoadResult[] = [];
    const health: number[] = [];
    for (let i = 0; i < rounds; i++) {
      bareRounds.push(await runLoad({ port: bare.port, path, headers, concurrency: CONCURRENCY, durationMs }));
      const probe = await startProbe(paz.ports.orchestrator, '/health', 50);
      pazRounds.push(await runLoad({ port: paz.ports.orchestrator, path, headers, concurrency: CONCURRENCY, durationMs, timeoutMs: 30_000 }));
      health.push(...(await probe.stop()));
    }
    // whether the answer itself changed while it was measured (each change is made, hashed and compressed again)
    const after = await httpCall(paz.ports.orchestrator, { path, headers, timeoutMs: 30_000 });
    const changed = after.headers.etag !== answer.headers.etag;
    const b = medianRound(bareRounds);
    const p = medianRound(pazRounds);
    health.sort((x, y) => x - y);
    ctx.log(`${name}: paz ${p.requestsPerSecond.toFixed(0)} req/s p99 ${p.p99Ms.toFixed(1)} ms; bare ${b.requestsPerSecond.toFixed(0)} req/s; /health p99 ${percentile(health, 99).toFixed(1)} ms (${health.length} probes)`);
    const notes: string[] = [];
    const errors = pazRounds.reduce((n, r) => n + r.errors, 0) + bareRounds.reduce((n, r) => n + r.errors, 0);
    if (errors > 0) notes.push(`${name}: ${errors} failed requests, e.g. ${[...pazRounds, ...bareRounds].flatMap((r) => r.errorSamples)[0]}`);
    // the probe counts a failed or unanswered (10 s) /health as 10,000 ms
    const failedProbes = health.filter((ms) => ms >= 10_000).length;
    notes.push(`${name}: ${answer.body.length.toLocaleString('en-US')} bytes per answer${encoding ? ` (${encoding})` : ''}; ${rounds} round(s) of ${durationMs / 1000} s per side, median round; ${changed ? `the answer changed during the measurement (store revision ${answer.headers['x-paz-revision']} at the start, ${after.headers['x-paz-revision']} at the end)` : `the same answer throughout (ETag ${answer.headers.etag})`}; ${health.length} /health probes during the load${failedProbes ? `, ${failedProbes} of them failed or got no answer within 10 s (counted as 10,000 ms)` : ''}`);
    return {
      figures: [
        figure({ name: `${name} requests/s`, unit: 'req/s', value: p.requestsPerSecond, baseline: { name: 'bare node:http', value: b.requestsPerSecond }, target: { on: 'ratio', op: '>=', value: 0.5 } }),
        figure({ name: `${name} p50`, unit: 'ms', value: p.p50Ms, baseline: { name: 'bare node:http', value: b.p50Ms } }),
        figure({ name: `${name} p99`, unit: 'ms', value: p.p99Ms, baseline: { name: 'bare node:http', value: b.p99Ms }, target: { on: 'value', op: '<', value: 20 } }),
        figure({ name: `/health p99 during ${name} load`, unit: 'ms', value: percentile(health, 99), baseline: { name: '/health p99 without load', value: percentile(idle, 99) }, target: { on: 'value', op: '<', value: 50 } }),
      ],
      notes,
    };
  } finally {
    await stopChild(bare.child);
  }
}

export const benchmark: Benchmark = {
  name: 'api-reads',
  title: 'API reads: GET /services and GET /cluster/units under 64 clients',
  async run(ctx) {
    const services = ctx.pick(50, 5);
    const instances = ctx.pick(20, 2);
    const paz = new PazRole({ role: 'server' });
    const tmp = mkdtempSync(join(tmpdir(), 'paz-bench-reads-'));
    let store: SqliteStore | undefined;
    let agents: SimulatedAgents | undefined;
    try {
      await paz.start();
      store = new SqliteStore(join(paz.dataDir, 'paz.db'));
      agents = new SimulatedAgents(store, 20);
      await agents.start();
      await createServices(paz.ports, paz.authHeaders, services, instances);
      const units = services * instances;
      await agents.waitForUnits(units);
      await until(`${units} healthy units at GET /cluster/units`, async () => {
        const list = (await pazJson(paz.ports.orchestrator, 'GET', '/cluster/units', paz.authHeaders)) as Array<{ healthy: boolean }>;
        return list.length === units && list.every((u) => u.healthy);
      }, 120_000, 500);
      // let the rollouts finish and the control loops settle before measuring
      await sleep(ctx.pick(3000, 500));
      ctx.log(`${services} services, ${units} units on 20 simulated hosts`);
      const a = await measureEndpoint(ctx, paz, '/services', join(tmp, 'services.json'));
      const b = await measureEndpoint(ctx, paz, '/cluster/units', join(tmp, 'units.json'));
      const c = await measureEndpoint(ctx, paz, '/cluster/units', join(tmp, 'units.json.gz'), AS_FETCH);
      return {
        method:
          `\`paz server\` (SQLite, tokens on) holding ${services} services and ${units} units (placed by its control plane on 20 simulated agents' hosts), ${CONCURRENCY} keep-alive clients, beside a bare \`node:http\` server answering the same bytes; \`/health\` probed every 50 ms on new connections by a separate process during Paz's load. ` +
          `\`GET /cluster/units\` twice: asked with no Accept-Encoding (the identity JSON), and with \`Accept-Encoding: gzip, deflate\` as fetch asks (Paz's gzip of the same JSON, made once per answer; the bare server answers those same gzip bytes). Neither side's clients decode.`,
        figures: [...a.figures, ...b.figures, ...c.figures],
        notes: [...a.notes, ...b.notes, ...c.notes, `server RSS after the load: ${paz.rssMiB().toFixed(0)} MiB`],
      };
    } finally {
      await agents?.stop().catch(() => undefined);
      await store?.close().catch(() => undefined);
      await paz.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  },
};
