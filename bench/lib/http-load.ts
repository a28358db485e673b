/**
 * HTTP load for benchmarks: `concurrency` clients, each on its own keep-alive connection, sending GETs
 * (or any request) back to back for a fixed time; counts answers, errors and latencies.
 */
import { Agent, request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { percentile } from './measure.js';

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** the first few errors, for the report */
  errorSamples: string[];
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** as sent: not decoded when the answer is compressed */
  body: Buffer;
}

/** One HTTP request to 127.0.0.1:port; resolves with status and body, rejects on a network error or after 10 s. */
export function httpCall(
  port: number,
  opts: { method?: string; path?: string; headers?: OutgoingHttpHeaders; body?: string; agent?: Agent | false; host?: string; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const headers: OutgoingHttpHeaders = { ...opts.headers };
    if (opts.host) headers.host = opts.host;
    if (opts.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = Buffer.byteLength(opts.body);
    }
    const req = request(
      { host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers, agent: opts.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.setTimeout(opts.timeoutMs ?? 10_000, () => req.destroy(new Error(`no answer within ${opts.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export interface LoadOptions {
  port: number;
  /** what each client sends next; by default GET `path` */
  path?: string;
  host?: string;
  headers?: OutgoingHttpHeaders;
  concurrency: number;
  durationMs: number;
  /** bound on one request (default 10 s); a request past it counts as an error */
  timeoutMs?: number;
  /** the status an answer must have to count as ok (default 200) */
  expectStatus?: number;
  /** a custom request per iteration (client index, iteration) instead of a GET; must resolve ok or throw */
  step?: (agent: Agent, client: number, iteration: number) => Promise<void>;
}

/** Runs the load and reports it; errors are counted, never thrown. */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency, maxFreeSockets: o.concurrency });
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  const started = process.hrtime.bigint();
  const deadline = Date.now() + o.durationMs;
  const expect = o.expectStatus ?? 200;
  const worker = async (client: number) => {
    for (let i = 0; Date.now() < deadline; i++) {
      const t0 = process.hrtime.bigint();
      try {
        if (o.step) {
          await o.step(agent, client, i);
        } else {
          const r = await httpCall(o.port, { path: o.path, host: o.host, headers: o.headers, agent, timeoutMs: o.timeoutMs });
          if (r.status !== expect) throw new Error(`status ${r.status}: ${r.body.toString('utf8', 0, 120)}`);
        }
      } catch (e) {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(String(e instanceof Error ? e.message : e));
      }
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, (_, c) => worker(c)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    seconds,
    requestsPerSecond: (latencies.length - errors) / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errorSamples,
  };
}
