/**
 * The control loops (placement, rollouts) run on one control-plane replica at a time: the leader of the
 * `control` election. Every replica campaigns; when leadership moves, the old leader stops its loops and
 * the new one starts them. (Their writes are compare-and-swap, so even an overlap could not corrupt state.)
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import { campaign, type Election } from '../store/election.js';
import { DEFAULT_HOST_LOSS_GRACE_SECONDS, PlacementLoop } from './placement-loop.js';
import { RolloutController } from './rollout-controller.js';
import { PendingWritesLoop } from './pending-writes-loop.js';
import { HostDrainLoop } from './host-drain-loop.js';

export class ControlLoops {
  private election: Election | undefined;
  private running: Array<{ stop(): Promise<void> }> = [];
  private transition: Promise<void> = Promise.resolve();
  readonly id = `${process.pid}-${randomBytes(4).toString('hex')}`;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly ttlSeconds = 10,
    private readonly hostLossGraceSeconds = DEFAULT_HOST_LOSS_GRACE_SECONDS,
  ) {}

  async start(): Promise<void> {
    this.election = await campaign(this.store, 'control', this.id, this.ttlSeconds, { onError: (err) => this.logger.warn({ err }, 'control election') });
    this.election.onChange((leader) => this.queue(leader));
    this.queue(this.election.isLeader());
    await this.transition;
  }

  isLeader(): boolean {
    return this.election?.isLeader() ?? false;
  }

  private queue(leader: boolean): void {
    this.transition = this.transition.then(() => (leader ? this.lead() : this.follow())).catch((err) => this.logger.error({ err }, 'control loop transition failed'));
  }

  private async lead(): Promise<void> {
    if (this.running.length > 0) return;
    this.logger.info({ id: this.id }, 'leading the control loops');
    const placement = new PlacementLoop(this.store, this.logger.child({ component: 'placement' }), Date.now, this.hostLossGraceSeconds * 1000);
    const rollouts = new RolloutController(this.store, this.logger.child({ component: 'rollout' }));
    const pending = new PendingWritesLoop(this.store, this.logger.child({ component: 'pending-writes' }));
    const drains = new HostDrainLoop(this.store, this.logger.child({ component: 'host-drain' }));
    this.running = [placement, rollouts, pending, drains];
    await placement.start();
    await rollouts.start();
    await pending.start();
    await drains.start();
  }

  private async follow(): Promise<void> {
    if (this.running.length === 0) return;
    this.logger.info({ id: this.id }, 'no longer leading the control loops');
    const loops = this.running;
    this.running = [];
    await Promise.all(loops.map((l) => l.stop()));
  }

  async stop(): Promise<void> {
    await this.transition;
    await this.follow();
    await this.election?.resign();
  }
}
