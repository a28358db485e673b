/**
 * Spawning units off the event loop. Node's spawn() is synchronous until the child has exec'd: it forks
 * and then waits for the exec. On a busy host that wait is long (the child must get a CPU first), and an
 * agent starting 1000 units blocked its event loop for 100 ms and more at a time. Here a worker thread
 * spawns (spawn-thread.ts); the agent's loop only posts a message and gets the pid back.
 */
import { Worker } from 'node:worker_threads';

export interface SpawnRequest {
  id: number;
  file: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** the file descriptor that gets the child's stdout and stderr (fds are the process's, not a thread's) */
  outFd: number;
  /** the user and group the child runs as (supplementary groups dropped); absent: the agent's own */
  uid?: number;
  gid?: number;
}

export type SpawnReply =
  | { type: 'spawned'; id: number; pid: number; startTicks: number | null }
  | { type: 'error'; id: number; message: string }
  | { type: 'exit'; pid: number; code: number | null; signal: NodeJS.Signals | null };

export interface SpawnedChild {
  pid: number;
  /** the start time /proc showed right after the spawn; null when it could not be read */
  startTicks: number | null;
  /** settles when the child exits, with its code or signal */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export class Spawner {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (c: SpawnedChild) => void; reject: (err: Error) => void }>();
  private readonly exits = new Map<number, (e: { code: number | null; signal: NodeJS.Signals | null }) => void>();
  /** exits that arrived before their spawn reply was handled */
  private readonly earlyExits = new Map<number, { code: number | null; signal: NodeJS.Signals | null }>();

  /** Spawns `file` detached (own session and process group), stdin from /dev/null, output to outFd. */
  spawn(req: Omit<SpawnRequest, 'id'>): Promise<SpawnedChild> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<SpawnedChild>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ ...req, id } satisfies SpawnRequest);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./spawn-thread.js', import.meta.url));
    worker.on('message', (m: SpawnReply) => this.onReply(m));
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', () => {
      this.worker = undefined;
      this.failAll(new Error('the spawner thread stopped'));
    });
    // units outlive the agent: the thread keeps the process alive only while a spawn is under way, and is
    // never stopped, so the exits of children still running when the driver closes are still recorded
    // (after the listeners: adding a message listener refs the thread again)
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private onReply(m: SpawnReply): void {
    if (m.type === 'exit') {
      const done = this.exits.get(m.pid);
      if (done) {
        this.exits.delete(m.pid);
        done({ code: m.code, signal: m.signal });
      } else this.earlyExits.set(m.pid, { code: m.code, signal: m.signal });
      return;
    }
    const w = this.waiting.get(m.id);
    if (!w) return;
    this.waiting.delete(m.id);
    if (this.waiting.size === 0) this.worker?.unref();
    if (m.type === 'error') {
      w.reject(new Error(m.message));
      return;
    }
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      const early = this.earlyExits.get(m.pid);
      if (early) {
        this.earlyExits.delete(m.pid);
        resolve(early);
      } else this.exits.set(m.pid, resolve);
    });
    w.resolve({ pid: m.pid, startTicks: m.startTicks, exited });
  }

  private failAll(err: Error): void {
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}
