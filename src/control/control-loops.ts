/**
 * The control loops (placement, rollouts) run on one control-plane replica at a time: the leader of the
 * `control` election. Every replica campaigns; when leadership moves, the old leader stops its loops and
 * the new one starts them. Their writes are fenced (fenced-store.ts): each commits only while the term it
 * was started in lasts, so a leader cut off from the store's quorum cannot act once its lease is gone there,
 * even with writes already on the wire.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import { campaign, electionKey, type Election } from '../store/election.js';
import { FencedStore } from '../store/fenced-store.js';
import { DEFAULT_HOST_LOSS_GRACE_SECONDS, PlacementLoop } from './placement-loop.js';
import { RolloutController } from './rollout-controller.js';
import { PendingWritesLoop } from './pending-writes-loop.js';
import { HostDrainLoop } from './host-drain-loop.js';
import type { DesiredUnit } from '../core/records.js';
import type { Placement } from '../core/placement.js';

export class ControlLoops {
  private election: Election | undefined;
  private running: Array<{ stop(): Promise<void> }> = [];
  /** the placement loop while this replica leads */
  private placement: PlacementLoop | undefined;
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

  /**
   * Where a deploy's new units go as it writes them (Deploys.placeWith): the placement loop's choice while this
   * replica leads; none on a replica that does not (its deploys' units are placed by the leader's loop).
   */
  readonly placeAtDeploy = async (fresh: DesiredUnit[]): Promise<Placement[]> => (this.placement ? this.placement.placeAtDeploy(fresh) : []);

  isLeader(): boolean {
    return this.election?.isLeader() ?? false;
  }

  private queue(leader: boolean): void {
    this.transition = this.transition.then(() => (leader ? this.lead() : this.follow())).catch((err) => this.logger.error({ err }, 'control loop transition failed'));
  }

  private async lead(): Promise<void> {
    if (this.running.length > 0) return;
    const term = this.election?.term();
    // lost again before this transition ran: the follow() queued after it has nothing to stop
    if (term === undefined) return;
    this.logger.info({ id: this.id, term }, 'leading the control loops');
    const store = new FencedStore(this.store, electionKey('control'), term);
    const placement = new PlacementLoop(store, this.logger.child({ component: 'placement' }), Date.now, this.hostLossGraceSeconds * 1000);
    const rollouts = new RolloutController(store, this.logger.child({ component: 'rollout' }));
    const pending = new PendingWritesLoop(store, this.logger.child({ component: 'pending-writes' }));
    const drains = new HostDrainLoop(store, this.logger.child({ component: 'host-drain' }));
    this.running = [placement, rollouts, pending, drains];
    this.placement = placement;
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
    this.placement = undefined;
    await Promise.all(loops.map((l) => l.stop()));
  }

  async stop(): Promise<void> {
    await this.transition;
    await this.follow();
    await this.election?.resign();
  }
}
