/**
 * A control plane in this process (startControlPlane) on free loopback ports with a fresh SQLite store, for
 * tests that need its context (store, secrets key) beside its APIs. Its log lines are kept, at info level:
 * fastify logs every request, so tests can grep them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { openStore, type Store } from '../../src/store/index.js';
import { startControlPlane, type ControlPlane } from '../../src/roles/control-plane.js';
import type { AuthMode } from '../../src/api/context.js';
import { WebhookSecret } from '../../src/state/webhook-secret.js';

export class InProcessPlane {
  log = '';
  store!: Store;
  plane!: ControlPlane;
  private readonly dir = mkdtempSync(join(tmpdir(), 'paz-plane-'));

  constructor(private readonly auth: AuthMode) {}

  async start(): Promise<void> {
    this.store = await openStore(`sqlite:${join(this.dir, 'paz.db')}`);
    const sink = new Writable({ write: (chunk, _enc, done) => ((this.log += String(chunk)), done()) });
    const logger = pino({ level: 'info' }, sink);
    this.plane = await startControlPlane({ store: this.store, logger, bind: '127.0.0.1', advertise: '127.0.0.1', ports: { orchestrator: 0, directory: 0, scheduler: 0 }, auth: this.auth });
  }
  get scheduler(): string {
    return `http://127.0.0.1:${this.plane.ports.scheduler}`;
  }
  get orchestrator(): string {
    return `http://127.0.0.1:${this.plane.ports.orchestrator}`;
  }
  secrets(): WebhookSecret {
    return new WebhookSecret(this.store, this.plane.ctx.secretKey);
  }
  /**
   * What a hook call would have added: versions (latest), deploy records, journal entries, desired units.
   * Keys only (and the latest numbers): the control loops rewrite units' placement notes meanwhile.
   */
  async written(): Promise<string> {
    const ranges = await Promise.all(['/paz/scheduler/latest/', '/paz/scheduler/deploys/', '/paz/scheduler/journal/', '/paz/units/desired/'].map((prefix) => this.store.range(prefix)));
    const [latest, ...others] = ranges;
    return [...latest!.kvs.map((kv) => `${kv.key}=${kv.value}`), ...others.flatMap((r) => r.kvs.map((kv) => kv.key))].join('\n');
  }
  async close(): Promise<void> {
    await this.plane?.stop();
    await this.store?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
