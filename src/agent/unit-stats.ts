/** Samples the stats of every unit running on this host into a short per-unit history, for charts. */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Driver, UnitStats } from './drivers/driver.js';
import { StatsHistory } from './host/stats-history.js';

/**
 * units sampled together before the event loop gets a turn: a sample reads a few small files
 * synchronously (process driver), and a host may run 1000 units
 */
const SAMPLE_BATCH = 16;

export class UnitStatsSampler {
  private readonly histories = new Map<string, StatsHistory<UnitStats>>();
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;

  constructor(
    private readonly driver: Driver,
    private readonly units: () => string[],
    private readonly intervalMs = 5000,
    private readonly historySize = 120,
  ) {}

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  /** One sample of every unit; a call while one is under way waits for that one. */
  sample(): Promise<void> {
    this.sampling ??= this.sampleAll().finally(() => (this.sampling = undefined));
    return this.sampling;
  }

  private async sampleAll(): Promise<void> {
    const current = new Set(this.units());
    for (const unit of this.histories.keys()) if (!current.has(unit)) this.histories.delete(unit);
    const units = [...current];
    for (let i = 0; i < units.length; i += SAMPLE_BATCH) {
      if (i > 0) await nextTurn();
      await Promise.all(
        units.slice(i, i + SAMPLE_BATCH).map(async (unit) => {
          const s = await this.driver.stats(unit).catch(() => undefined);
          if (!s) return;
          let h = this.histories.get(unit);
          if (!h) this.histories.set(unit, (h = new StatsHistory<UnitStats>(this.historySize)));
          h.push(s);
        }),
      );
    }
  }

  history(unit: string): UnitStats[] {
    return this.histories.get(unit)?.toArray() ?? [];
  }

  latest(unit: string): UnitStats | undefined {
    return this.histories.get(unit)?.latest();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
