/**
 * Child processes of a benchmark: started by the bench, stopped by their PID (SIGTERM, then SIGKILL),
 * and measured from /proc (RSS). Every helper here stops what it started, pass or fail.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** children still running, stopped by the runner when it is interrupted (each by its PID) */
const live = new Set<ChildProcess>();

/** Remembers a child until it exits, so an interrupted run can stop it. */
export function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** SIGTERM to every child still running (an interrupted run); they stop their own children. */
export async function stopAllTracked(): Promise<void> {
  await Promise.all([...live].map((c) => stopChild(c, 10_000)));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resident set size of a process in MiB (VmRSS of /proc/PID/status); NaN when it is gone. */
export function rssMiB(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return line ? Number(line.split(/\s+/)[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
export async function stopChild(child: ChildProcess | undefined, graceMs = 15_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * A Node program given as source (`node -e`) that reports a port over IPC when it listens: the bare
 * baselines. Resolves once it sent its port.
 */
export function startNodeProgram(source: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; port: number }> {
  const child = track(spawn(process.execPath, ['-e', source, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...env } }));
  return new Promise((resolve, reject) => {
    child.once('message', (port) => resolve({ child, port: Number(port) }));
    child.once('exit', (code) => reject(new Error(`node program exited with code ${code} before listening`)));
    child.once('error', reject);
  });
}

/**
 * The baseline server: bare `node:http` answering every request with the same bytes (the file given as
 * argument, or `hello\n`), keep-alive, no framework. What Paz's APIs are compared with. Extra headers
 * (a JSON object, the third argument) go with every answer: `content-encoding` when the bytes are the
 * compressed answer Paz sent.
 */
export const BARE_SERVER_SOURCE = `
const http = require('node:http');
const fs = require('node:fs');
const [file, type, extra] = process.argv.slice(1);
const body = file ? fs.readFileSync(file) : Buffer.from('hello\\n');
const headers = { ...JSON.parse(extra || '{}'), 'content-type': type || 'text/plain', 'content-length': String(body.length) };
const server = http.createServer((req, res) => { res.writeHead(200, headers); res.end(body); });
server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => process.send(server.address().port));
process.on('disconnect', () => process.exit(0));
`;

export function startBareServer(bodyFile?: string, contentType?: string, extraHeaders: Record<string, string> = {}): Promise<{ child: ChildProcess; port: number }> {
  return startNodeProgram(BARE_SERVER_SOURCE, bodyFile ? [bodyFile, contentType ?? 'application/json', JSON.stringify(extraHeaders)] : []);
}

/**
 * A latency probe in its own process (so the load generator's event loop does not delay it): GET `path`
 * on a new connection every `everyMs`, until told to stop; answers with its latencies (ms; a failed or
 * non-200 probe counts as 10,000 ms).
 */
const PROBE_SOURCE = `
const http = require('node:http');
const [port, path, everyMs] = process.argv.slice(1);
const latencies = [];
let stopped = false;
process.on('message', () => { stopped = true; });
const once = () => new Promise((resolve) => {
  const t0 = process.hrtime.bigint();
  const done = (ok) => resolve(ok ? Number(process.hrtime.bigint() - t0) / 1e6 : 10000);
  const req = http.get({ host: '127.0.0.1', port: Number(port), path, agent: false }, (res) => {
    res.resume();
    res.on('end', () => done(res.statusCode === 200));
  });
  req.setTimeout(10000, () => req.destroy());
  req.on('error', () => done(false));
});
(async () => {
  process.send('ready');
  while (!stopped) {
    latencies.push(await once());
    await new Promise((r) => setTimeout(r, Number(everyMs)));
  }
  process.send(latencies, () => process.exit(0));
})();
`;

export interface Probe {
  /** stops probing and resolves with the latencies seen */
  stop(): Promise<number[]>;
}

export async function startProbe(port: number, path: string, everyMs = 50): Promise<Probe> {
  const child = track(spawn(process.execPath, ['-e', PROBE_SOURCE, String(port), path, String(everyMs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`probe exited with ${code}`)));
  });
  return {
    stop: async () => {
      const result = new Promise<number[]>((resolve, reject) => {
        child.once('message', (m) => resolve(m as number[]));
        child.once('exit', (code) => reject(new Error(`probe exited with ${code} before reporting`)));
      });
      child.send('stop');
      try {
        return await result;
      } finally {
        await stopChild(child, 2000);
      }
    },
  };
}

/** Runs a command to completion; resolves with its wall time (ms), exit code and output. */
export function runTimed(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ ms: number; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, code, stdout, stderr }));
  });
}
