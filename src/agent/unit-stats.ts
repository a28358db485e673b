/** Samples the stats of every unit running on this host into a short per-unit history, for charts. */
import type { Driver, UnitStats } from './drivers/driver.js';
import { StatsHistory } from './host/stats-history.js';

export class UnitStatsSampler {
  private readonly histories = new Map<string, StatsHistory<UnitStats>>();
  private timer: NodeJS.Timeout | undefined;

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

  async sample(): Promise<void> {
    const current = new Set(this.units());
    for (const unit of this.histories.keys()) if (!current.has(unit)) this.histories.delete(unit);
    await Promise.all(
      [...current].map(async (unit) => {
        const s = await this.driver.stats(unit).catch(() => undefined);
        if (!s) return;
        let h = this.histories.get(unit);
        if (!h) this.histories.set(unit, (h = new StatsHistory<UnitStats>(this.historySize)));
        h.push(s);
      }),
    );
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
