/**
 * A real `paz up|server|agent` process (the compiled bin/paz.js) on free ports with its own data dir, as a
 * user starts it: API tokens on (the default), SQLite store in the data dir unless told otherwise. The
 * benchmarks' own copy of what test/helpers/paz-server.ts does (bench code does not import tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, rssMiB, stopChild, track } from './processes.js';
import { httpCall } from './http-load.js';
import { msSince } from './measure.js';

/** the repository (this file is dist/bench/lib/paz-process.js once compiled) */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const pazBin = join(repoRoot, 'bin', 'paz.js');

export interface PazOptions {
  role: 'up' | 'server' | 'agent';
  /** reuse a data dir (e.g. the server's, for an agent beside it); otherwise a fresh temp dir, removed by close() */
  dataDir?: string;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** default true: tokens on, as `paz up` runs by default */
  auth?: boolean;
}

export class PazRole {
  child: ChildProcess | undefined;
  output = '';
  readonly ports = { orchestrator: 0, directory: 0, scheduler: 0, agent: 0, router: 0 };
  readonly dataDir: string;
  /** the admin token (auth on) */
  token = '';
  /** ms from spawn to every API's /health answering 200 */
  startMs = NaN;
  private readonly ownsDataDir: boolean;

  constructor(private readonly opts: PazOptions) {
    this.ownsDataDir = !opts.dataDir;
    this.dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'paz-bench-'));
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }
  get runsControlPlane(): boolean {
    return this.opts.role !== 'agent';
  }
  get runsAgent(): boolean {
    return this.opts.role !== 'server' && !(this.opts.extraArgs ?? []).includes('--no-agent');
  }
  get storeUrl(): string {
    return `sqlite:${join(this.dataDir, 'paz.db')}`;
  }
  /** Authorization header with the admin token (empty with auth off) */
  get authHeaders(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }
  /** what the `paz` CLI needs to reach this process with no flags */
  get cliEnv(): NodeJS.ProcessEnv {
    return { PAZ_URL: `http://127.0.0.1:${this.ports.orchestrator}`, PAZ_SCHEDULER_URL: `http://127.0.0.1:${this.ports.scheduler}`, PAZ_DATA_DIR: this.dataDir };
  }

  private healthPorts(): number[] {
    const ports: number[] = [];
    if (this.runsControlPlane) ports.push(this.ports.orchestrator, this.ports.directory, this.ports.scheduler);
    if (this.runsAgent) ports.push(this.ports.agent);
    return ports;
  }

  /** Starts it and resolves when every API it runs answers /health (within `timeoutMs`). */
  async start(timeoutMs = 60_000): Promise<void> {
    for (const k of Object.keys(this.ports) as Array<keyof PazRole['ports']>) this.ports[k] = await freePort();
    const role = this.opts.role;
    const args = [pazBin, role, '--data-dir', this.dataDir, '--log-level', 'warn'];
    if (this.runsControlPlane) {
      args.push('--bind', '127.0.0.1', '--orchestrator-port', String(this.ports.orchestrator), '--directory-port', String(this.ports.directory), '--scheduler-port', String(this.ports.scheduler));
      if (this.opts.auth === false) args.push('--no-auth');
    }
    if (this.runsAgent) args.push('--agent-port', String(this.ports.agent), '--router-port', String(this.ports.router), '--router-bind', '127.0.0.1');
    args.push(...(this.opts.extraArgs ?? []));
    const started = process.hrtime.bigint();
    const child = track(spawn(process.execPath, args, { env: { ...process.env, ...this.opts.env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    this.child = child;
    child.stdout!.on('data', (d) => (this.output = (this.output + d).slice(-20_000)));
    child.stderr!.on('data', (d) => (this.output = (this.output + d).slice(-20_000)));
    const deadline = Date.now() + timeoutMs;
    const healthy = (port: number) => httpCall(port, { path: '/health', timeoutMs: 2000 }).then((r) => r.status === 200, () => false);
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`paz ${role} exited (${child.exitCode ?? child.signalCode}):\n${this.output}`);
      if ((await Promise.all(this.healthPorts().map(healthy))).every(Boolean)) break;
      if (Date.now() > deadline) throw new Error(`paz ${role} did not answer /health within ${timeoutMs} ms:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    this.startMs = msSince(started);
    const tokenFile = join(this.dataDir, 'admin-token');
    if (this.runsControlPlane && this.opts.auth !== false) {
      if (!existsSync(tokenFile)) throw new Error(`paz ${role} wrote no ${tokenFile}`);
      this.token = readFileSync(tokenFile, 'utf8').trim();
    }
  }

  rssMiB(): number {
    return rssMiB(this.pid);
  }

  async stop(): Promise<void> {
    await stopChild(this.child);
  }

  async close(): Promise<void> {
    await this.stop();
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** A JSON call to one of Paz's APIs; throws unless the status is `expect`. */
export async function pazJson(port: number, method: string, path: string, headers: Record<string, string>, body?: unknown, expect?: number): Promise<any> {
  const r = await httpCall(port, { method, path, headers, body: body === undefined ? undefined : JSON.stringify(body), timeoutMs: 30_000 });
  if (expect !== undefined ? r.status !== expect : r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.body.toString('utf8', 0, 300)}`);
  const text = r.body.toString();
  return text ? JSON.parse(text) : undefined;
}
