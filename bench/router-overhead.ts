/**
 * What the router costs: requests/s and latency for the same bounded load sent straight to a backend
 * and through the router (HAProxy), measured in the same run and printed as ratios.
 *
 *   node dist/bench/router-overhead.js [--requests 5000] [--concurrency 20] [--rounds 3]
 *
 * Rounds alternate direct and routed loads and the median round of each is reported, so that a
 * noisy moment on the machine does not land on one side only. The backend runs in its own Node process so that it does not share an event loop with the load
 * generator; both paths use keep-alive agents. Not a timed test: numbers depend on the machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Router } from '../src/router/router.js';

interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

const BACKEND_SOURCE = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '6' });
  res.end('hello\\n');
});
server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => process.send(server.address().port));
process.on('disconnect', () => process.exit(0));
`;

function startBackendProcess(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', BACKEND_SOURCE], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (port) => resolve({ child, port: Number(port) }));
    child.once('exit', (code) => reject(new Error(`backend exited with code ${code}`)));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

function getOnce(agent: Agent, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent, headers: { host }, setHost: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end();
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Sends exactly `total` requests, `concurrency` at a time, over one keep-alive agent. */
async function load(port: number, host: string, total: number, concurrency: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let sent = 0;
  let errors = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (sent < total) {
      sent++;
      const t0 = process.hrtime.bigint();
      try {
        const status = await getOnce(agent, port, host);
        if (status !== 200) errors++;
      } catch {
        errors++;
      }
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: total,
    errors,
    seconds,
    requestsPerSecond: total / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

/** The round with the median throughput. */
function median(results: LoadResult[]): LoadResult {
  const sorted = [...results].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '5000' },
      concurrency: { type: 'string', default: '20' },
      rounds: { type: 'string', default: '3' },
    },
  });
  const rounds = Math.min(Math.max(Number(values.rounds), 1), 9);
  const total = Math.min(Math.max(Number(values.requests), 100), 200_000);
  const concurrency = Math.min(Math.max(Number(values.concurrency), 1), 500);

  const backend = await startBackendProcess();
  const runtimeDir = await mkdtemp(join(tmpdir(), 'paz-rb-'));
  const routerPort = await freePort();
  const router = new Router({ bindAddress: '127.0.0.1', port: routerPort, runtimeDir, logger: pino({ level: 'warn' }) });
  try {
    await router.start({
      domain: 'paz',
      services: [{ name: 'bench', servers: [{ name: 'bench-1-1', address: '127.0.0.1', port: backend.port, state: 'ready' }] }],
    });
    const warmup = Math.min(1000, Math.ceil(total / 5));
    await load(backend.port, 'bench.paz', warmup, concurrency);
    await load(routerPort, 'bench.paz', warmup, concurrency);
    const directRounds: LoadResult[] = [];
    const routedRounds: LoadResult[] = [];
    for (let i = 0; i < rounds; i++) {
      directRounds.push(await load(backend.port, 'bench.paz', total, concurrency));
      routedRounds.push(await load(routerPort, 'bench.paz', total, concurrency));
    }
    const direct = median(directRounds);
    const routed = median(routedRounds);

    const row = (name: string, r: LoadResult) =>
      `${name.padEnd(16)} ${r.requestsPerSecond.toFixed(0).padStart(8)} req/s   p50 ${r.p50Ms.toFixed(2).padStart(7)} ms   p99 ${r.p99Ms.toFixed(2).padStart(7)} ms   errors ${r.errors}`;
    console.log(`router overhead: ${total} requests x ${rounds} rounds per path, concurrency ${concurrency}, keep-alive, one backend (median round shown)`);
    console.log(row('direct', direct));
    console.log(row('through router', routed));
    const ratios = {
      throughput: routed.requestsPerSecond / direct.requestsPerSecond,
      p99Latency: routed.p99Ms / direct.p99Ms,
      p50Latency: routed.p50Ms / direct.p50Ms,
    };
    console.log(`ratio router/direct: throughput ${ratios.throughput.toFixed(2)}x, p50 latency ${ratios.p50Latency.toFixed(2)}x, p99 latency ${ratios.p99Latency.toFixed(2)}x`);
    console.log(JSON.stringify({ bench: 'router-overhead', total, concurrency, rounds, direct, routed, ratios }));
  } finally {
    await router.stop();
    await rm(runtimeDir, { recursive: true, force: true });
    backend.child.kill('SIGTERM');
  }
}

await main();
