/**
 * Keeping synchronous work that grows with the number of units off one event-loop turn: a counting
 * semaphore (at most N under way) and a pacer (a few milliseconds of callers per loop turn, so I/O is
 * handled between). Used where one event can ask for work on every unit at once (a deploy of 1000 units,
 * 1000 processes exiting together).
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** A counting semaphore: run() waits for one of `limit` slots. */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a limiter needs a whole number of slots >= 1, got ${limit}`);
  }

  get pending(): number {
    return this.waiting.length;
  }

  /**
   * Runs `fn` in a slot. The slot is given up when `fn` settles, or once it has held it `holdMs`, whichever
   * comes first: a task still under way by then waits on something else than this process (see BoundedDriver),
   * and goes on without a slot.
   */
  async run<T>(fn: () => Promise<T>, holdMs = Infinity): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      // hand the slot over directly, or free it
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
    const timer = Number.isFinite(holdMs) ? setTimeout(release, holdMs) : undefined;
    timer?.unref();
    try {
      return await fn();
    } finally {
      clearTimeout(timer);
      release();
    }
  }
}

/**
 * Synchronous work that the callers a Pacer lets through may do in one event-loop turn, in all: past it, the
 * next caller waits for a later turn. One caller per turn (as before) spread a host's 10 instant starts over
 * 20 turns; in a busy process those were 20 turns of other work, and each start's status went to the store
 * in a write of its own (bench/scheduling: 1.7 status writes per instance at 1,000 hosts).
 */
const TURN_BUDGET_MS = 4;
/**
 * and at most this many callers: what a caller sets off after its first wait (a start's spawn and cgroup, a
 * stop's signals) is not counted above, and 1000 callers let through at once would all set it off together
 * (starts are bounded by the driver's Limiter anyway). With 128, the 1,000-instance deploy on the process
 * driver (e2e-big-deploy) had no loop window over 50 ms; at 32 the bench's hosts of 1,000 instant units each
 * waited turn after turn (10 × 1,000 on SQLite: 4,050 running/s, 5,300 at 128).
 */
const TURN_MAX_CALLERS = 128;
/** busy share of the loop above which callers are slowed down */
const MAX_UTILIZATION = 0.5;
/** how long callers wait, with the loop idle, when it was busy */
const BACKOFF_MS = 20;

/**
 * Lets callers through in call order, never synchronously, and in one turn only as many as fit in
 * TURN_BUDGET_MS of synchronous work (TURN_MAX_CALLERS at most): cheap callers go through together, a
 * costly one pushes the next into a later turn, so timers and I/O are handled between. When the loop has
 * been busy most of the time lately (each caller's work sets off more: status writes, watch events, store
 * reads), callers also wait a little with the loop idle, so 1000 callers spread out instead of saturating
 * it: a saturated loop serves everything late, leases and HTTP included. An agent's pacing work shares one
 * Pacer (`agentPacer`), so its budget is the process's.
 */
export class Pacer {
  private readonly due: Array<() => void> = [];
  private scheduled = false;
  private lastUtilization: EventLoopUtilization = performance.eventLoopUtilization();

  turn(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.due.push(resolve);
      if (this.scheduled) return;
      this.scheduled = true;
      // an immediate scheduled from a check phase runs in the next loop iteration, after its poll phase:
      // timers and I/O get their turn between any two drains
      setImmediate(() => void this.drain());
    });
  }

  /** whether the loop was busy most of the time since the last look (judged over 5 ms at least, so one long turn is not forgotten by the next short one) */
  private busyLately(): boolean {
    const now = performance.eventLoopUtilization();
    const recent = performance.eventLoopUtilization(now, this.lastUtilization);
    if (recent.idle + recent.active < 5) return false;
    this.lastUtilization = now;
    return recent.utilization > MAX_UTILIZATION;
  }

  private async drain(backedOff = false): Promise<void> {
    // once backed off, callers go through whatever the loop does meanwhile: a loop that stays busy (a
    // process under load) slows them down but never stops them
    if (!backedOff && this.busyLately()) {
      setTimeout(() => void this.drain(true), BACKOFF_MS);
      return;
    }
    const began = performance.now();
    for (let n = 1; this.due.length > 0; n++) {
      this.due.shift()!();
      // a caller awaiting turn() resumes in the microtask its resolve queued: its synchronous part (up to its
      // first wait) has run when this one resumes, so the time read below counts it
      await Promise.resolve();
      if (n >= TURN_MAX_CALLERS || performance.now() - began >= TURN_BUDGET_MS) break;
    }
    if (this.due.length > 0) setImmediate(() => void this.drain());
    else this.scheduled = false;
  }
}

/** The agent's pacing: unit starts, pulls, stops and removals, and the process driver's exit records. */
export const agentPacer = new Pacer();
