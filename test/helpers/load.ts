/**
 * Requests through a Paz router, as a client would send them: `viaRouter` sends one GET with a Host header on
 * a new connection; `Load` keeps two workers sending them and counts what came back (tests print the counts
 * and assert 0 failed).
 */
import { request as httpRequest } from 'node:http';

/** One GET through the router on a new connection; resolves to the body, or throws. */
export function viaRouter(port: number, host: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host }, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** A bounded load loop: two workers, at most `max` requests, until stopped. */
export class Load {
  ok = 0;
  failed = 0;
  readonly bodies = new Map<string, number>();
  readonly failures: string[] = [];
  private stopped = false;
  private workers: Promise<void>[] = [];
  constructor(private readonly port: number, private readonly host: string, private readonly max = 20_000) {}
  start(): void {
    for (let w = 0; w < 2; w++) {
      this.workers.push(
        (async () => {
          while (!this.stopped && this.ok + this.failed < this.max) {
            try {
              const r = await viaRouter(this.port, this.host);
              if (r.status === 200) {
                this.ok++;
                this.bodies.set(r.body.trim(), (this.bodies.get(r.body.trim()) ?? 0) + 1);
              } else {
                this.failed++;
                this.failures.push(`${r.status} ${r.body.slice(0, 80)}`);
              }
            } catch (e) {
              this.failed++;
              this.failures.push(String(e));
            }
            await new Promise((r) => setTimeout(r, 5));
          }
        })(),
      );
    }
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.workers);
  }
}
