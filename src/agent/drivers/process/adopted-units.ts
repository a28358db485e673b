/**
 * Running units a process driver did not spawn (found in state files, e.g. after an agent restart): it is not
 * their parent, so no exit event tells it when they end. They are polled through /proc instead, and each death
 * is handed to `onDead` once; the poll timer runs only while something is tracked.
 */

export interface AdoptedUnitsOptions {
  /** whether the process with this pid and start time still runs */
  isAlive: (pid: number, startTicks: number | null) => boolean;
  /** called from the poll for each tracked unit whose process is gone (it stays tracked until untrack/forget) */
  onDead: (unit: string, pid: number) => void;
  /** how often to poll; default 1000 ms */
  pollMs?: number;
}

export class AdoptedUnits {
  private readonly units = new Map<string, { pid: number; startTicks: number | null }>();
  private pollTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: AdoptedUnitsOptions) {}

  /** Starts watching the unit's process (nothing once closed, or when that pid is watched already). */
  track(unit: string, pid: number, startTicks: number | null): void {
    if (this.closed || this.units.get(unit)?.pid === pid) return;
    this.units.set(unit, { pid, startTicks });
    if (!this.pollTimer) {
      this.pollTimer = setInterval(() => this.poll(), this.opts.pollMs ?? 1000);
      this.pollTimer.unref();
    }
  }

  /** Stops watching the unit if `pid` is the process watched; says whether it was. */
  untrack(unit: string, pid: number): boolean {
    if (this.units.get(unit)?.pid !== pid) return false;
    this.units.delete(unit);
    return true;
  }

  /** Stops watching the unit, whatever its process. */
  forget(unit: string): void {
    this.units.delete(unit);
  }

  /** Stops polling for good; later track() calls do nothing. */
  close(): void {
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    this.units.clear();
  }

  /** One round of the poll (the timer calls it). */
  poll(): void {
    for (const [unit, { pid, startTicks }] of this.units) {
      if (this.opts.isAlive(pid, startTicks)) continue;
      this.opts.onDead(unit, pid);
    }
    if (this.units.size === 0 && this.pollTimer) {
      clearInterval(this.pollTimer);
      this.pollTimer = undefined;
    }
  }
}
