/**
 * Starts a real `paz server` / `paz up` process for a test (the compiled bin/paz.js) on free ports with a
 * fresh data dir, and stops it by PID afterwards. kill() is kill -9, for crash tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from './env.js';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpsRequest } from './https-request.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const pazBin = join(repoRoot, 'bin', 'paz.js');

export { freePort };

export interface PazProcessOptions {
  role?: 'server' | 'up';
  dataDir?: string;
  extraArgs?: string[];
  env?: Record<string, string>;
  /** the APIs serve HTTPS (give --tls-cert/--tls-key in extraArgs): URLs are https://, /health is asked trusting this CA (PEM) */
  ca?: string;
  /** API tokens on (as `paz up` runs by default); otherwise the process gets --no-auth */
  auth?: boolean;
  /**
   * a command paz is started through, which ends by running its arguments (e.g. `unshare -m sh -c '… && exec "$@"' sh`,
   * for a data dir on a mount of the process's own): `node paz.js …` is appended to it
   */
  through?: string[];
}

export class PazProcess {
  child: ChildProcess | undefined;
  output = '';
  readonly ports = { orchestrator: 0, directory: 0, scheduler: 0 };
  readonly dataDir: string;
  /** with `auth: true`: the admin token the first start wrote to DATA_DIR/admin-token */
  token = '';
  private readonly ownsDataDir: boolean;

  constructor(private readonly opts: PazProcessOptions = {}) {
    this.ownsDataDir = !opts.dataDir;
    this.dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'paz-test-'));
  }

  private get scheme(): string {
    return this.opts.ca ? 'https' : 'http';
  }
  get orchestrator(): string {
    return `${this.scheme}://127.0.0.1:${this.ports.orchestrator}`;
  }
  get directory(): string {
    return `${this.scheme}://127.0.0.1:${this.ports.directory}`;
  }
  get scheduler(): string {
    return `${this.scheme}://127.0.0.1:${this.ports.scheduler}`;
  }

  private healthy(url: string): Promise<boolean> {
    const ca = this.opts.ca;
    const answer = ca ? httpsRequest(`${url}/health`, { ca }).then((r) => r.status === 200) : fetch(`${url}/health`).then((r) => r.ok);
    return answer.catch(() => false);
  }
  get storeUrl(): string {
    return `sqlite:${join(this.dataDir, 'paz.db')}`;
  }
  /** `Authorization: Bearer <token>` (the admin token unless another is given), for request() */
  authHeaders(token = this.token): Record<string, string> {
    return { authorization: `Bearer ${token}` };
  }
  /** what a `paz` CLI command needs to reach this process with no flags: its URL and data dir */
  get cliEnv(): Record<string, string> {
    return { PAZ_URL: this.orchestrator, PAZ_SCHEDULER_URL: this.scheduler, PAZ_DATA_DIR: this.dataDir };
  }

  /** Starts (or restarts, keeping ports and data) and resolves when all three APIs answer. */
  async start(): Promise<void> {
    const firstStart = this.ports.orchestrator === 0;
    for (let attempt = 1; ; attempt++) {
      if (firstStart) {
        this.ports.orchestrator = await freePort();
        this.ports.directory = await freePort();
        this.ports.scheduler = await freePort();
      }
      try {
        return await this.startOnce();
      } catch (err) {
        // a port freePort() found free was taken before paz bound it (a container's published port, another
        // test's, or, for a --bind 0.0.0.0, a client connection's local port on any address): on a first
        // start, other ports are as good; a restart must keep its own
        const ours = [this.ports.orchestrator, this.ports.directory, this.ports.scheduler];
        const taken = /EADDRINUSE: address already in use \S*:(\d+)\b/.exec((err as Error).message)?.[1];
        if (!firstStart || attempt >= 3 || !taken || !ours.includes(Number(taken))) throw err;
        this.output = '';
      }
    }
  }

  private async startOnce(): Promise<void> {
    const args = [
      pazBin,
      this.opts.role ?? 'server',
      '--data-dir', this.dataDir,
      '--bind', '127.0.0.1',
      '--orchestrator-port', String(this.ports.orchestrator),
      '--directory-port', String(this.ports.directory),
      '--scheduler-port', String(this.ports.scheduler),
      '--log-level', 'warn',
      ...(this.opts.auth ? [] : ['--no-auth']),
      ...(this.opts.extraArgs ?? []),
    ];
    const [command, ...commandArgs] = [...(this.opts.through ?? []), process.execPath, ...args];
    const child = spawn(command!, commandArgs, { env: { ...process.env, ...this.opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (d) => (this.output += d));
    child.stderr!.on('data', (d) => (this.output += d));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`paz ${this.opts.role ?? 'server'} exited with ${child.exitCode}:\n${this.output}`);
      const ok = await Promise.all([this.orchestrator, this.directory, this.scheduler].map((u) => this.healthy(u)));
      if (ok.every(Boolean)) {
        // written before the APIs answer (cli/server.ts); a restart keeps the token it had when the file is gone
        const file = join(this.dataDir, 'admin-token');
        if (this.opts.auth && existsSync(file)) this.token = readFileSync(file, 'utf8').trim();
        else if (this.opts.auth && !this.token) throw new Error(`paz wrote no ${file}:\n${this.output}`);
        return;
      }
      if (Date.now() > deadline) throw new Error(`paz did not answer within 30 s:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGTERM and wait for a clean exit. */
  async stop(): Promise<number | null> {
    return this.signal('SIGTERM');
  }

  /** kill -9: no cleanup at all, as a crash. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  private async signal(sig: NodeJS.Signals): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill(sig);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }

  async close(): Promise<void> {
    await this.stop();
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Starts paz with `opts`, expecting it to refuse: it exits with 1 and says `message`. Cleans up either way. */
export async function assertStartRefused(opts: PazProcessOptions, message: RegExp): Promise<void> {
  const paz = new PazProcess(opts);
  try {
    await paz.start().then(
      () => {
        throw new Error(`paz started although it should have refused (${message})`);
      },
      (err: Error) => {
        if (!/exited with 1/.test(err.message) || !message.test(err.message)) throw new Error(`paz did not refuse with ${message}: ${err.message}`);
      },
    );
  } finally {
    await paz.close();
  }
}

/**
 * Runs the `paz` CLI (the compiled bin) with `input` on standard input; resolves with its exit code and output.
 * `env` is added to this process's environment.
 */
export function runPaz(args: string[], input = '', env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [pazBin, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin!.end(input);
  });
}

export interface JsonAnswer {
  status: number;
  headers: Headers;
  body: any;
}

/** A request as curl would send it; the body is sent as given (string) or as JSON. */
export async function request(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonAnswer> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body: parsed };
}
