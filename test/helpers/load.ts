/**
 * HTTP load through Paz's router, for end-to-end tests that count failed requests during deploys: requests
 * to 127.0.0.1:<port> (or another router's address) with a Host header (new connections, or a given keep-alive agent), counted as ok (200)
 * or failed (anything else, with why), by body.
 */
import { request as httpRequest, type Agent, type IncomingHttpHeaders } from 'node:http';

/** One GET through the router, on a new connection unless a (keep-alive) agent is given; resolves to the answer (redirects not followed), or throws. */
export function viaRouter(port: number, host: string, path = '/', agent?: Agent, address = '127.0.0.1'): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: address, port, path, headers: { host }, agent: agent ?? false, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
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
  /** when each failed request was sent and ended (ms), beside `failures`: a request in flight at an instant (a
   * network cut) is told apart from one sent after it */
  readonly failureTimes: Array<{ sentAt: number; endedAt: number }> = [];
  /** when the first and the last failed request ended (ms), to report a gap */
  firstFailureAt: number | undefined;
  lastFailureAt: number | undefined;
  /** the longest time (ms) with no successful answer, from start() to stop(): how long the service was unreachable */
  longestGapMs = 0;
  private lastOkAt = 0;
  private stopped = false;
  private workers: Promise<void>[] = [];
  constructor(
    private readonly port: number,
    private readonly host: string,
    private readonly max = 20_000,
    /** e.g. a keep-alive agent, so idle connections stay open between requests */
    private readonly agent?: Agent,
    /** the router's address: another host's, in a cluster test */
    private readonly address = '127.0.0.1',
  ) {}
  start(): void {
    this.lastOkAt = Date.now();
    for (let w = 0; w < 2; w++) {
      this.workers.push(
        (async () => {
          while (!this.stopped && this.ok + this.failed < this.max) {
            const sentAt = Date.now();
            try {
              const r = await viaRouter(this.port, this.host, '/', this.agent, this.address);
              if (r.status === 200) {
                this.ok++;
                this.okAt(Date.now());
                this.bodies.set(r.body.trim(), (this.bodies.get(r.body.trim()) ?? 0) + 1);
              } else {
                this.fail(`${r.status} ${r.body.slice(0, 80)}`, sentAt);
              }
            } catch (e) {
              this.fail(String(e), sentAt);
            }
            await new Promise((r) => setTimeout(r, 5));
          }
        })(),
      );
    }
  }
  private fail(why: string, sentAt: number): void {
    this.failed++;
    if (this.failures.length < 100) {
      this.failures.push(why);
      this.failureTimes.push({ sentAt, endedAt: Date.now() });
    }
    this.lastFailureAt = Date.now();
    this.firstFailureAt ??= this.lastFailureAt;
  }
  private okAt(now: number): void {
    this.longestGapMs = Math.max(this.longestGapMs, now - this.lastOkAt);
    this.lastOkAt = now;
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.workers);
    // a service still unreachable at the end counts up to now
    this.longestGapMs = Math.max(this.longestGapMs, Date.now() - this.lastOkAt);
  }
  /** failed requests (of the first 100) that were in flight at some moment from `from` to `to` (ms) */
  failedInFlightBetween(from: number, to: number): number {
    return this.failureTimes.filter((f) => f.sentAt <= to && f.endedAt >= from).length;
  }
  /** `ok=… failed=… bodies={…}` for the test's output */
  summary(): string {
    return `ok=${this.ok} failed=${this.failed} bodies=${JSON.stringify(Object.fromEntries(this.bodies))}`;
  }
}
