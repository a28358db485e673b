/**
 * Leader election on a lease, for any Store (the control loops run on exactly one server replica).
 *
 * The leader is whoever holds `/paz/elections/<name>`: the key is created with
 * txn(createRevision == 0) under the candidate's lease, whose value is the candidate id. Followers
 * watch the key and try again when it is deleted (resign, lease expiry, an operator's delete), with
 * a periodic retry as a backstop.
 *
 * Safety: a candidate believes it leads only until its lease could have expired, measured from when
 * it SENT the last successful keepAlive (the store starts the TTL later, when it receives it). So
 * `isLeader()` turns false no later than the moment the store may delete the key and hand the lead
 * to someone else, even if this process was paused or its keepAlives stalled. Whenever leadership is
 * lost, the candidate abandons that lease (revoking it) and campaigns afresh with a new one, so a
 * key it no longer believes in can never keep the others out.
 */
import { LeaseNotFoundError, StoreClosedError, type Lease, type Store, type Watch, type WatchEvent } from './store.js';

export const ELECTION_PREFIX = '/paz/elections/';

export function electionKey(electionName: string): string {
  if (electionName === '' || electionName.includes('/')) {
    throw new TypeError(`election name must be non-empty and contain no "/", got ${JSON.stringify(electionName)}`);
  }
  return ELECTION_PREFIX + electionName;
}

export interface Election {
  readonly key: string;
  readonly candidateId: string;
  /** true only while this candidate holds the key under a lease that cannot have expired yet */
  isLeader(): boolean;
  /**
   * While leading: the revision that created our key, which names this leadership term (the fencing token
   * of fenced-store.ts); undefined otherwise.
   */
  term(): number | undefined;
  /** called with true/false on every change of leadership; returns an unsubscribe function */
  onChange(callback: (leader: boolean) => void): () => void;
  /** gives up leadership (deleting the key at once) and stops campaigning */
  resign(): Promise<void>;
}

export interface CampaignOptions {
  /** how often the lease is refreshed (default: a third of the TTL) */
  keepAliveIntervalMs?: number;
  /** how often a follower retries, and a leader re-checks its key, without a watch event (default: the TTL) */
  recheckIntervalMs?: number;
  /** errors of the background work (default: process warnings); the campaign keeps going */
  onError?: (err: Error) => void;
}

/** The id of the current leader, if any. */
export async function currentLeader(store: Store, electionName: string): Promise<string | undefined> {
  return (await store.get(electionKey(electionName)))?.value;
}

/**
 * Joins the election; resolves once the first attempt is done, so `isLeader()` already tells
 * whether this candidate won it. Campaigning then continues in the background until `resign()`.
 */
export async function campaign(
  store: Store,
  electionName: string,
  candidateId: string,
  ttlSeconds: number,
  options: CampaignOptions = {},
): Promise<Election> {
  const candidate = new Candidate(store, electionKey(electionName), candidateId, ttlSeconds, options);
  await candidate.start();
  return candidate;
}

class Candidate implements Election {
  private lease: Lease | undefined;
  /** local time before which the current lease surely still exists in the store */
  private leaseSafeUntil = 0;
  private leading = false;
  /** modRevision of our key while leading */
  private leaderRevision = 0;
  /** after losing the lead, stand back until then, so a healthy candidate takes over rather than us again */
  private standBackUntil = 0;
  private watch: Watch | undefined;
  private stopped = false;
  private attemptRunning = false;
  private attemptAgain = false;
  private readonly callbacks = new Set<(leader: boolean) => void>();
  private readonly keepAliveMs: number;
  private readonly recheckMs: number;
  private readonly reportError: (err: Error) => void;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private recheckTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    readonly key: string,
    readonly candidateId: string,
    private readonly ttlSeconds: number,
    options: CampaignOptions,
  ) {
    this.keepAliveMs = options.keepAliveIntervalMs ?? (ttlSeconds * 1000) / 3;
    this.recheckMs = options.recheckIntervalMs ?? ttlSeconds * 1000;
    this.reportError = options.onError
      ?? ((err) => process.emitWarning(`election ${key} (${candidateId}): ${err.message}`, { type: 'PazElectionWarning' }));
  }

  isLeader(): boolean {
    return this.leading && Date.now() < this.leaseSafeUntil;
  }

  term(): number | undefined {
    return this.isLeader() ? this.leaderRevision : undefined;
  }

  onChange(callback: (leader: boolean) => void): () => void {
    this.callbacks.add(callback);
    return () => this.callbacks.delete(callback);
  }

  async start(): Promise<void> {
    // watch before the first attempt: a delete that happens after the attempt fails is then never missed
    await this.startWatch();
    // unref'd: campaigning alone does not keep a process alive
    this.keepAliveTimer = setInterval(() => void this.refreshLease(), this.keepAliveMs).unref();
    this.recheckTimer = setInterval(() => void this.recheck(), this.recheckMs).unref();
    await this.attempt();
  }

  async resign(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.clearTimers();
    const lease = this.lease;
    this.lease = undefined;
    await this.watch?.cancel().catch(() => {});
    this.setLeading(false);
    // revoking deletes our key at once, so a follower takes over without waiting for the TTL
    if (lease !== undefined) await this.store.revoke(lease.id).catch((err) => this.fail(err));
  }

  private async startWatch(): Promise<void> {
    this.watch = await this.store.watch(this.key, (events) => this.onKeyEvents(events), {
      onError: (err) => {
        // the watch is dead (e.g. history compacted while we lagged): start a new one and look again
        this.fail(err);
        if (!this.stopped) void this.startWatch().then(() => this.recheck(), (e) => this.fail(e));
      },
    });
  }

  private onKeyEvents(events: WatchEvent[]): void {
    const last = events.filter((e) => e.key === this.key).at(-1);
    if (last === undefined || this.stopped) return;
    if (this.leading) {
      // any change after our own put means the key is no longer ours; older events are stale news
      if (last.revision > this.leaderRevision) this.loseLeadership();
    } else if (last.type === 'delete') {
      void this.attempt();
    }
  }

  /** Tries to take the key; attempts never overlap (one that is asked for meanwhile runs after). */
  private async attempt(): Promise<void> {
    if (this.attemptRunning) {
      this.attemptAgain = true;
      return;
    }
    this.attemptRunning = true;
    try {
      do {
        this.attemptAgain = false;
        await this.tryAcquire().catch((err) => this.fail(err));
      } while (this.attemptAgain && !this.stopped);
    } finally {
      this.attemptRunning = false;
    }
  }

  private async tryAcquire(): Promise<void> {
    if (this.stopped || this.leading || Date.now() < this.standBackUntil) return;
    const lease = await this.ensureLease();
    if (this.stopped || lease !== this.lease) return;
    let result;
    try {
      result = await this.store.txn({
        compare: [{ key: this.key, target: 'createRevision', op: '=', value: 0 }],
        success: [{ type: 'put', key: this.key, value: this.candidateId, lease: lease.id }],
      });
    } catch (err) {
      if (!(err instanceof LeaseNotFoundError)) throw err;
      // our (follower's) lease lapsed: take a new one and try again
      if (lease === this.lease) this.lease = undefined;
      this.attemptAgain = true;
      return;
    }
    if (this.stopped || lease !== this.lease) return;
    if (result.succeeded) {
      this.leaderRevision = result.revision;
      this.setLeading(true);
      return;
    }
    // an earlier attempt whose answer was lost (StoreWriteOutcomeUnknownError) may have taken the key under
    // this very lease: then it is ours, and nobody else can take it while the lease lives
    const kv = await this.store.get(this.key);
    if (this.stopped || lease !== this.lease) return;
    if (kv && kv.value === this.candidateId && kv.lease === lease.id) {
      this.leaderRevision = kv.modRevision;
      this.setLeading(true);
    }
  }

  private async ensureLease(): Promise<Lease> {
    if (this.lease !== undefined) return this.lease;
    const sentAt = Date.now();
    const lease = await this.store.grantLease(this.ttlSeconds);
    if (this.stopped) {
      await this.store.revoke(lease.id).catch(() => {});
      return lease;
    }
    this.lease = lease;
    this.leaseSafeUntil = sentAt + lease.ttlSeconds * 1000;
    return lease;
  }

  private async refreshLease(): Promise<void> {
    const lease = this.lease;
    if (lease === undefined || this.stopped) return;
    const sentAt = Date.now();
    let alive: boolean;
    try {
      alive = await this.store.keepAlive(lease.id);
    } catch (err) {
      // the deadline timer drops leadership if this keeps failing
      this.fail(err);
      return;
    }
    if (lease !== this.lease) return;
    if (alive) {
      this.leaseSafeUntil = sentAt + lease.ttlSeconds * 1000;
      if (this.leading) this.armDeadline();
    } else {
      // the lease is gone: whatever we held under it is gone too
      this.lease = undefined;
      this.loseLeadership();
    }
  }

  /** The backstop for a missed watch event: followers try again, a leader checks the key is still its own. */
  private async recheck(): Promise<void> {
    if (this.stopped) return;
    if (!this.leading) return this.attempt();
    try {
      const kv = await this.store.get(this.key);
      if (this.leading && (kv === undefined || kv.modRevision !== this.leaderRevision)) this.loseLeadership();
    } catch (err) {
      this.fail(err);
    }
  }

  /**
   * Drops leadership now and abandons the lease it was held under (revoking it frees the key for the
   * others at once). The candidate campaigns again, with a new lease, after standing back for one
   * recheck interval: whatever made it lose (a stalled process, a slow disk) may make it lose again.
   */
  private loseLeadership(): void {
    if (!this.leading) return;
    this.standBackUntil = Date.now() + this.recheckMs;
    this.setLeading(false);
    const lease = this.lease;
    this.lease = undefined;
    if (lease !== undefined) void this.store.revoke(lease.id).catch((err) => this.fail(err));
  }

  private setLeading(leading: boolean): void {
    if (this.leading === leading) return;
    this.leading = leading;
    if (leading) this.armDeadline();
    else if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    for (const callback of [...this.callbacks]) {
      try {
        callback(leading);
      } catch (err) {
        this.fail(err);
      }
    }
  }

  /** Drops leadership when the lease may have expired without a successful keepAlive. */
  private armDeadline(): void {
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(() => {
      if (this.leading && Date.now() >= this.leaseSafeUntil) this.loseLeadership();
      else if (this.leading) this.armDeadline();
    }, Math.max(0, this.leaseSafeUntil - Date.now())).unref();
  }

  private clearTimers(): void {
    clearInterval(this.keepAliveTimer);
    clearInterval(this.recheckTimer);
    clearTimeout(this.deadlineTimer);
  }

  private fail(err: unknown): void {
    if (err instanceof StoreClosedError) {
      // the store went away under us: nothing more can be done or held
      this.stopped = true;
      this.clearTimers();
      this.lease = undefined;
      this.setLeading(false);
      return;
    }
    this.reportError(err instanceof Error ? err : new Error(String(err)));
  }
}
