/**
 * A driver that starts (and removes) at most a few units at a time. Starting a unit does synchronous
 * work on the event loop (the process driver's cgroup directories and state files); an agent
 * handed 1000 units at once did all of it in one go and blocked its loop for seconds, which expired its
 * lease. Here at most a few are under way at once, and they begin through a Pacer (pacing.ts): a few
 * milliseconds of such work per event-loop turn, so the loop handles I/O (leases, watches, HTTP) between.
 * Pulls and stops go through the Pacer too (retiring 1000 units reads and signals 1000 processes), but any
 * number may be under way: a slow pull or stop of one unit must never hold back the others.
 *
 * A start keeps its slot only while it may still be doing that synchronous work: past START_SLOT_HOLD_MS it is
 * waiting on something else (a Docker daemon wedged on one image's create, a slow disk), and goes on without
 * one. Held until its end, 8 creates that dockerd never answers blocked every other start on the host until
 * their deadline (2 minutes), and again at each retry.
 */
import type { Readable } from 'node:stream';
import type { Driver, DriverEvent, LogOptions, PullProgress, StopResult, UnitRuntime, UnitSpec, UnitStats } from './drivers/driver.js';
import type { RegistryLogin } from '../core/registry-auth.js';
import { Limiter, agentPacer, type Pacer } from './pacing.js';

/** units a host starts at once (the process driver's sync work per start stays well under 100 ms) */
export const DEFAULT_START_CONCURRENCY = 8;
/** how long a start, restart or removal holds its slot at most (the process driver's sync part takes milliseconds) */
export const START_SLOT_HOLD_MS = 5_000;

export class BoundedDriver implements Driver {
  private readonly starts: Limiter;

  constructor(
    private readonly inner: Driver,
    concurrency = DEFAULT_START_CONCURRENCY,
    /** the process's (an agent is one process); bench/scheduling runs many simulated agents in one, each with its own */
    private readonly pacer: Pacer = agentPacer,
    private readonly slotHoldMs = START_SLOT_HOLD_MS,
  ) {
    this.starts = new Limiter(concurrency);
  }

  get name(): Driver['name'] {
    return this.inner.name;
  }

  async pull(image: string, onProgress?: (p: PullProgress) => void, signal?: AbortSignal, login?: RegistryLogin): Promise<void> {
    await this.pacer.turn();
    return this.inner.pull(image, onProgress, signal, login);
  }

  hasImage(image: string): Promise<boolean> {
    return this.inner.hasImage(image);
  }

  start(spec: UnitSpec): Promise<UnitRuntime> {
    return this.starts.run(async () => {
      await this.pacer.turn();
      return this.inner.start(spec);
    }, this.slotHoldMs);
  }

  restart(unit: string): Promise<UnitRuntime> {
    return this.starts.run(async () => {
      await this.pacer.turn();
      return this.inner.restart(unit);
    }, this.slotHoldMs);
  }

  async stop(unit: string, graceSeconds: number): Promise<StopResult> {
    await this.pacer.turn();
    return this.inner.stop(unit, graceSeconds);
  }

  remove(unit: string): Promise<void> {
    return this.starts.run(async () => {
      await this.pacer.turn();
      return this.inner.remove(unit);
    }, this.slotHoldMs);
  }

  inspect(unit: string): Promise<UnitRuntime | undefined> {
    return this.inner.inspect(unit);
  }

  list(): Promise<UnitRuntime[]> {
    return this.inner.list();
  }

  logs(unit: string, opts: LogOptions): Promise<Readable> {
    return this.inner.logs(unit, opts);
  }

  stats(unit: string): Promise<UnitStats | undefined> {
    return this.inner.stats(unit);
  }

  events(listener: (e: DriverEvent) => void): Promise<() => void> {
    return this.inner.events(listener);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
