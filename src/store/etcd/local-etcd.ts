/**
 * Runs an etcd member as a child process on this machine's loopback, for integration tests and local
 * development: start it on given ports and data dir, wait until it answers /health, stop it by PID
 * (SIGTERM, then SIGKILL after a bound). A member still running when this process exits is killed then,
 * so a crashed test leaves no etcd behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { get as httpsGet } from 'node:https';
import { accessSync, closeSync, constants, openSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface EtcdMemberOptions {
  /** member name, unique in its cluster */
  name: string;
  dataDir: string;
  /** file that receives etcd's output (appended) */
  logFile: string;
  clientPort: number;
  peerPort: number;
  /** every member as name=http://127.0.0.1:peerPort, comma-separated; default: this member alone */
  initialCluster?: string;
  /** default: findEtcdBinary() */
  binary?: string;
  /** serve clients over TLS (https://) with these PEM files, as a cluster with client certificates would */
  tls?: EtcdMemberTls;
  /** more etcd flags, e.g. ['--max-txn-ops', '100'] for a cluster whose limits are not etcd's defaults */
  extraArgs?: string[];
}

export interface EtcdMemberTls {
  /** the member's certificate (valid for 127.0.0.1) and key */
  certFile: string;
  keyFile: string;
  /** the CA that signed client certificates; with clientCertAuth, etcd refuses clients without one */
  trustedCaFile: string;
  clientCertAuth: boolean;
  /** a client certificate and key this class uses for its own health checks */
  clientCertFile?: string;
  clientKeyFile?: string;
}

export type StopResult = 'not-running' | 'terminated' | 'killed';

const HOST = '127.0.0.1';
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** The etcd server binary: $PAZ_ETCD_BINARY, else `etcd` on PATH (Debian's etcd-server puts it in /usr/bin). */
export function findEtcdBinary(): string | undefined {
  const candidates = process.env.PAZ_ETCD_BINARY
    ? [process.env.PAZ_ETCD_BINARY]
    : [...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== '').map((d) => join(d, 'etcd')), '/usr/bin/etcd'];
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not there
    }
  }
  return undefined;
}

export class EtcdMember {
  /** host:port for clients, e.g. for new EtcdStore([member.endpoint]) */
  readonly endpoint: string;
  private readonly child: ChildProcess;
  private exited = false;
  private readonly exitedPromise: Promise<void>;

  private constructor(readonly options: EtcdMemberOptions, binary: string) {
    const { name, dataDir, clientPort, peerPort } = options;
    this.endpoint = `${HOST}:${clientPort}`;
    const clientUrl = `${options.tls ? 'https' : 'http'}://${HOST}:${clientPort}`;
    const peerUrl = `http://${HOST}:${peerPort}`;
    const args = [
      '--name', name,
      '--data-dir', dataDir,
      '--listen-client-urls', clientUrl,
      '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', peerUrl,
      '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', options.initialCluster ?? `${name}=${peerUrl}`,
      // ignored once the data dir holds a member, so a restart on the same dir uses the same flags
      '--initial-cluster-state', 'new',
      ...(options.tls
        ? ['--cert-file', options.tls.certFile, '--key-file', options.tls.keyFile, '--trusted-ca-file', options.tls.trustedCaFile, ...(options.tls.clientCertAuth ? ['--client-cert-auth'] : [])]
        : []),
      ...(options.extraArgs ?? []),
    ];
    const log = openSync(options.logFile, 'a');
    try {
      this.child = spawn(binary, args, { stdio: ['ignore', log, log] });
    } finally {
      closeSync(log);
    }
    running.add(this.child);
    this.exitedPromise = new Promise((resolve) => {
      this.child.once('exit', () => {
        this.exited = true;
        running.delete(this.child);
        resolve();
      });
      // spawn failure (e.g. the binary vanished): 'exit' may never come
      this.child.once('error', () => {
        this.exited = true;
        running.delete(this.child);
        resolve();
      });
    });
    installExitHook();
  }

  /** Starts the member (does not wait for it: see waitUntilHealthy). Throws if there is no etcd binary. */
  static start(options: EtcdMemberOptions): EtcdMember {
    const binary = options.binary ?? findEtcdBinary();
    if (binary === undefined) throw new Error('no etcd binary found (install etcd-server, or set PAZ_ETCD_BINARY)');
    return new EtcdMember(options, binary);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  /**
   * Polls GET /health until etcd says healthy (it has a leader and committed a proposal), within
   * timeoutMs. A member of a larger cluster is healthy only once a quorum runs. Fails early, with
   * the end of its log, if the process exits.
   */
  async waitUntilHealthy(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`etcd ${this.options.name} exited while starting:\n${this.logTail()}`);
      try {
        const { status, body } = await this.getHealth();
        if (status === 200 && /"health"\s*:\s*"true"/.test(body)) return;
        last = `${status} ${body.trim()}`;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`etcd ${this.options.name} at ${this.endpoint} not healthy after ${timeoutMs} ms (${last}):\n${this.logTail()}`);
  }

  /** GET /health, over TLS with the client certificate when the member serves TLS */
  private async getHealth(): Promise<{ status: number; body: string }> {
    const tls = this.options.tls;
    if (!tls) {
      const res = await fetch(`http://${this.endpoint}/health`, { signal: AbortSignal.timeout(2_000) });
      return { status: res.status, body: await res.text() };
    }
    const read = (f: string | undefined) => (f ? readFileSync(f) : undefined);
    return new Promise((resolve, reject) => {
      const req = httpsGet(`https://${this.endpoint}/health`, { ca: readFileSync(tls.trustedCaFile), cert: read(tls.clientCertFile), key: read(tls.clientKeyFile), timeout: 2_000 }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('no answer within 2 s')));
      req.on('error', reject);
    });
  }

  /** SIGTERM, wait up to graceMs, then SIGKILL and wait up to 10 s more. */
  async stop(graceMs = 10_000): Promise<StopResult> {
    if (this.exited) return 'not-running';
    this.child.kill('SIGTERM');
    if (await this.waitForExit(graceMs)) return 'terminated';
    this.child.kill('SIGKILL');
    if (await this.waitForExit(10_000)) return 'killed';
    throw new Error(`etcd ${this.options.name} (PID ${this.pid}) did not exit after SIGKILL`);
  }

  /** The last lines etcd wrote, for error messages. */
  logTail(lines = 20): string {
    try {
      return readFileSync(this.options.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  private async waitForExit(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const exited = this.exitedPromise.then(() => true as const);
    try {
      return await Promise.race([exited, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Members the test forgot (or a crash skipped) go with this process: SIGKILL, by PID. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) {
      try {
        child.kill('SIGKILL');
      } catch {
        // gone already
      }
    }
  });
}
