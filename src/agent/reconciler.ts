/**
 * The agent's reconcile loop: make what runs on this host match the desired units placed here. Level-
 * triggered: a store watch wakes it early, a periodic pass catches anything missed. Instances that the
 * driver already runs are adopted (agent restarts do not duplicate or lose them); instances of units no
 * longer desired here are retired.
 *
 * A pass never waits for one unit: starting (pull included) runs in the unit's runner, and retiring (a stop
 * may take the unit's whole grace period) runs beside the loop. A unit name that is still being retired is
 * started again only once its retirement is over, so the old instance's stop cannot hit the new one.
 */
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import { StoreLoop } from '../state/store-loop.js';
import type { Driver, DriverEvent } from './drivers/driver.js';
import { keys } from '../core/keys.js';
import type { DeployRecord, DesiredUnit, UnitStatus } from '../core/records.js';
import { parseUnitName } from '../core/unit-name.js';
import { getJson, rangeJson } from '../store/json.js';
import { HostUnitsView } from '../state/host-units-view.js';
import { UnitRunner, type RunnerDeps } from './unit-runner.js';
import { Backoff, type BackoffOptions } from '../core/backoff.js';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * New units up to this many read their earlier status one key each; more read every status at once (one
 * read of the cluster's statuses costs as much as reading a host's share of them one by one on a big cluster).
 */
const STATUS_GETS_MAX = 64;

/** How long shutdown waits for retirements under way (see stop()). */
const SHUTDOWN_RETIRE_WAIT_MS = 5_000;

/** The stop grace of an instance an earlier agent left, whose unit (and so its own grace) is no longer known */
const ADOPTED_STOP_GRACE_SECONDS = 10;

/** The waits between removals of an instance a retirement left behind (see removeLeftover()). */
export const LEFTOVER_REMOVE_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000 };
/**
 * A leftover still there after this many removals (about 3.5 s of them) counts as a host problem (leftovers()):
 * a remove refused while dockerd restarts for a moment is routine, one refused for good needs an operator.
 */
export const LEFTOVER_REPORT_AFTER_ATTEMPTS = 3;

export interface ReconcilerOptions extends RunnerDeps {
  store: Store;
  resyncMs?: number;
}

export class Reconciler {
  readonly runners = new Map<string, UnitRunner>();
  private readonly loop: StoreLoop;
  /** this host's desired units, followed by a watch instead of read in full each pass */
  private readonly view: HostUnitsView;
  private unsubscribe: (() => void) | undefined;
  private adoptable = new Map<string, Awaited<ReturnType<Driver['list']>>[number]>();
  /** units whose instance is being stopped and removed, by unit name */
  readonly retiring = new Map<string, Promise<void>>();
  /** retired units whose instance the driver has refused to remove LEFTOVER_REPORT_AFTER_ATTEMPTS times: why */
  private readonly notRemoved = new Map<string, string>();
  /** `config.loadBalanced` of each deployed version seen (deploy records never change) */
  private readonly loadBalancedOf = new Map<string, boolean | undefined>();
  private readonly logger: Logger;
  /** units stopped by the current fence (fence()), with when (ms since the epoch); emptied by rejoin() */
  readonly fenced = new Map<string, number>();
  /** between fence() and rejoin(): nothing starts or retires here (the view may be stale, the units run elsewhere) */
  private isFenced = false;
  /** bumped at each fence and rejoin: a pass that began before one of them starts nothing */
  private epoch = 0;
  /** start() went through: the driver's instances are known (adoptable), so a pass may start units */
  private started = false;
  /** aborted by stop(): nothing starts any more, and the waits of leftover removals end */
  private readonly stopping = new AbortController();
  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  constructor(private readonly opts: ReconcilerOptions) {
    this.logger = opts.logger;
    // the view wakes the loop, and only for changes that concern this host; the periodic pass retries
    // what failed (a start, a read of a store that was down)
    this.view = new HostUnitsView({
      store: opts.store,
      hostId: opts.hostId,
      onChange: () => void this.loop.kick(),
      onError: (err) => this.logger.warn({ err }, 'desired units of this host: reading them again'),
    });
    this.loop = new StoreLoop({
      store: opts.store,
      name: 'reconciler',
      logger: opts.logger,
      prefixes: [],
      intervalMs: opts.resyncMs ?? 5000,
      pass: () => this.pass(),
    });
  }

  /** Adopts what the driver runs and starts reconciling; a failed start leaves nothing behind, so it can be tried again. */
  async start(): Promise<void> {
    const running = await this.opts.driver.list();
    const unsubscribe = await this.opts.driver.events((e) => this.onDriverEvent(e));
    for (const rt of running) this.adoptable.set(rt.unit, rt);
    this.started = true;
    try {
      await this.loop.start();
    } catch (err) {
      this.started = false;
      unsubscribe();
      this.adoptable.clear();
      throw err;
    }
    this.unsubscribe = unsubscribe;
  }

  private onDriverEvent(e: DriverEvent): void {
    this.runners.get(e.unit)?.onEvent(e);
  }


  private async pass(): Promise<void> {
    // cut off from the store: what the view holds may be out of date, and the units may run elsewhere now
    if (this.isFenced) return;
    // not started (the driver did not answer yet): a pass now (a rejoin's) would start units without
    // adopting the instances the driver already runs
    if (!this.started) return;
    const epoch = this.epoch;
    const desired = await this.view.current();
    if (epoch !== this.epoch) return;
    const want = new Map(desired.map((d) => [d.unit, d]));
    const added = desired.filter((d) => !this.runners.has(d.unit) && !this.retiring.has(d.unit));
    // the statuses earlier agents of this host left (restart counts): a few read one by one, many in one read
    // of them all. Only units placed here before this agent's first read can have one (placedBeforeStart): a
    // deploy placing 10 units on each of 1,000 hosts read 10,000 statuses that could not exist, all at once
    const carried = added.filter((d) => this.view.placedBeforeStart(d.unit));
    const previousAll = carried.length > STATUS_GETS_MAX ? await this.statuses() : carried.length > 1 ? await this.statusesOf(carried.map((d) => d.unit)) : undefined;
    for (const d of added) {
      if (this.runners.has(d.unit) || this.retiring.has(d.unit) || this.stopped || epoch !== this.epoch) continue;
      const previous = !this.view.placedBeforeStart(d.unit) ? undefined : previousAll ? previousAll.get(d.unit) : await getJson<UnitStatus>(this.opts.store, keys.unitStatus(d.unit));
      const loadBalanced = await this.loadBalanced(d);
      if (this.runners.has(d.unit) || this.stopped || epoch !== this.epoch) continue;
      const runner = new UnitRunner(d, this.opts, { previous, loadBalanced });
      this.runners.set(d.unit, runner);
      const adopted = this.adoptable.get(d.unit);
      this.adoptable.delete(d.unit);
      runner.start(adopted);
    }
    if (epoch !== this.epoch) return;
    for (const [unit, runner] of this.runners) {
      if (want.has(unit)) continue;
      this.runners.delete(unit);
      this.retireInBackground(unit, () => runner.retire(), runner.desired.spec.stopGraceSeconds);
    }
    // Instances left by an earlier agent whose units are no longer desired here.
    for (const [unit, rt] of this.adoptable) {
      if (want.has(unit) || !parseUnitName(unit)) continue;
      this.adoptable.delete(unit);
      this.logger.info({ unit, id: rt.id }, 'removing an instance that is no longer desired');
      this.retireInBackground(unit, async () => {
        await this.opts.driver.stop(unit, ADOPTED_STOP_GRACE_SECONDS).catch(() => undefined);
        await this.opts.driver.remove(unit).catch(() => undefined);
        await this.opts.store.delete(keys.unitStatus(unit)).catch(() => undefined);
      }, ADOPTED_STOP_GRACE_SECONDS);
    }
  }

  /**
   * This host was cut off from the store for longer than the host-loss grace (agent/store-fence-watch.ts):
   * the control plane places its units elsewhere, so every unit here stops now (runner.fence(): graceful stop,
   * then removed), as does any instance an earlier agent left that was not adopted yet. Nothing starts here
   * until rejoin(). Returns the units stopped.
   */
  fence(): string[] {
    this.isFenced = true;
    this.epoch++;
    const now = Date.now();
    const stopped: string[] = [];
    for (const [unit, runner] of this.runners) {
      this.runners.delete(unit);
      this.fenced.set(unit, now);
      stopped.push(unit);
      this.retireInBackground(unit, () => runner.fence(), runner.desired.spec.stopGraceSeconds);
    }
    for (const [unit, rt] of this.adoptable) {
      if (!parseUnitName(unit)) continue;
      this.adoptable.delete(unit);
      this.fenced.set(unit, now);
      stopped.push(unit);
      this.logger.info({ unit, id: rt.id }, 'fenced: stopping an instance left by an earlier agent');
      this.retireInBackground(unit, async () => {
        await this.opts.driver.stop(unit, ADOPTED_STOP_GRACE_SECONDS).catch(() => undefined);
        await this.opts.driver.remove(unit).catch(() => undefined);
      }, ADOPTED_STOP_GRACE_SECONDS);
    }
    for (const unit of stopped) this.logger.info({ unit }, 'fenced: stopping the unit');
    return stopped;
  }

  /**
   * The store renewed this host's lease again after a fence: the desired units are read afresh (not from
   * watches that may still be catching up), and a pass starts those still placed here. Units placed elsewhere
   * meanwhile are not started again. Returns the units that were fenced.
   */
  rejoin(): string[] {
    const fenced = [...this.fenced.keys()];
    this.fenced.clear();
    this.isFenced = false;
    this.epoch++;
    this.view.invalidate();
    void this.loop.kick();
    return fenced;
  }

  /**
   * Retires beside the loop; when done, a pass runs again (the unit may be desired here once more). The unit
   * counts as retiring until its instance is gone (removeLeftover()), so a new one of the same name never meets it.
   */
  private retireInBackground(unit: string, work: () => Promise<void>, stopGraceSeconds: number): void {
    const done = work()
      .catch((err) => this.logger.warn({ err, unit }, 'retiring failed'))
      .then(() => this.removeLeftover(unit, stopGraceSeconds))
      .finally(() => {
        this.retiring.delete(unit);
        void this.loop.kick();
      });
    this.retiring.set(unit, done);
  }

  /**
   * What a retirement could not remove is removed again, with growing waits, until it is gone or the agent
   * stops. A stop or remove fails when the driver cannot act for now: dockerd restarting, or a container whose
   * filesystem dockerd cannot unmount yet ("driver overlay2 failed to remove root filesystem: device or resource
   * busy"). Nothing else lists a retired unit's instance until the agent restarts, so one failed remove used to
   * leave the container behind for good.
   */
  private async removeLeftover(unit: string, stopGraceSeconds: number): Promise<void> {
    try {
      await this.removeLeftoverUntilGone(unit, stopGraceSeconds);
    } finally {
      this.notRemoved.delete(unit);
    }
  }

  private async removeLeftoverUntilGone(unit: string, stopGraceSeconds: number): Promise<void> {
    const backoff = new Backoff(LEFTOVER_REMOVE_BACKOFF);
    let removeError: string | undefined;
    for (let attempt = 1; ; attempt++) {
      let left: unknown;
      try {
        left = await this.opts.driver.inspect(unit);
      } catch (err) {
        left = err; // the driver does not answer: the instance may still be there
      }
      if (!left) {
        if (attempt > 1) this.logger.info({ unit, attempts: attempt - 1 }, 'removed the instance a retirement had left');
        return;
      }
      const retryInMs = backoff.next();
      const why = left instanceof Error ? left.message : (removeError ?? 'its instance is still there');
      this.logger.warn({ unit, attempt, retryInMs, why }, 'a retired unit is not removed yet; removing it again');
      if (attempt >= LEFTOVER_REPORT_AFTER_ATTEMPTS) this.notRemoved.set(unit, why);
      // the agent stopping ends the wait: the next agent removes what is left (an instance no longer desired)
      if (!(await sleep(retryInMs, true, { signal: this.stopping.signal }).catch(() => false))) return;
      // a stop the driver could not make (dockerd down) is made now, with the unit's grace
      await this.opts.driver.stop(unit, stopGraceSeconds).catch(() => undefined);
      removeError = await this.opts.driver.remove(unit).then(() => undefined, (err: Error) => err.message);
    }
  }

  /**
   * The unit version's `loadBalanced`, which picks its default health probe (probe-choice.ts): copied onto
   * the unit at deploy time; units written before that read it from their version's record.
   */
  private async loadBalanced(d: DesiredUnit): Promise<boolean | undefined> {
    if (d.loadBalanced !== undefined) return d.loadBalanced;
    const key = `${d.service}/${d.version}`;
    if (!this.loadBalancedOf.has(key)) {
      const record = await getJson<DeployRecord>(this.opts.store, keys.deploy(d.service, d.version)).catch(() => undefined);
      this.loadBalancedOf.set(key, record?.config.loadBalanced);
    }
    return this.loadBalancedOf.get(key);
  }

  /**
   * The retired units whose instance the driver keeps refusing to remove, with the driver's last reason: the
   * agent reports them with its heartbeat (host-checks.ts), so the host's health says what the logs say.
   */
  leftovers(): Array<{ unit: string; why: string }> {
    return [...this.notRemoved].map(([unit, why]) => ({ unit, why }));
  }

  private async statusesOf(units: string[]): Promise<Map<string, UnitStatus>> {
    const out = new Map<string, UnitStatus>();
    const found = await Promise.all(units.map((u) => getJson<UnitStatus>(this.opts.store, keys.unitStatus(u))));
    for (const s of found) if (s) out.set(s.unit, s);
    return out;
  }

  private async statuses(): Promise<Map<string, UnitStatus>> {
    const out = new Map<string, UnitStatus>();
    for (const e of (await rangeJson<UnitStatus>(this.opts.store, keys.unitStatusPrefix())).entries) out.set(e.value.unit, e.value);
    return out;
  }

  /** Stops reconciling. Running instances are left running for the next agent to adopt. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.unsubscribe?.();
    await this.loop.stop();
    await this.view.stop();
    for (const r of this.runners.values()) r.detach();
    // Retirements already begun get a moment to finish, but shutdown does not wait out a unit's whole stop
    // grace (which may be minutes): dockerd finishes a container's stop (its own SIGKILL timer); a process-driver
    // unit has had its SIGTERM, and one that ignores it runs on until the next start, which removes whatever is
    // left of a unit that is no longer desired. Waiting longer made a SIGTERMed `paz up` look hung, so
    // supervisors killed it -9 and its router was left behind.
    const settled = Promise.all(this.retiring.values());
    let timer: NodeJS.Timeout | undefined;
    const bounded = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_RETIRE_WAIT_MS)));
    await Promise.race([settled, bounded]);
    clearTimeout(timer);
  }
}
