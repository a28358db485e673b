/**
 * Runs a start that depends on something not up yet (the agent's units on a Docker engine that is still
 * booting, or went away during the start) until it succeeds, spacing the attempts with core/backoff.ts.
 * The agent stays up meanwhile: its heartbeat reports why the host is unhealthy, and its units start once
 * the attempt goes through. `stop()` ends the attempts and waits for the one under way.
 */
import { Backoff, type BackoffOptions } from '../core/backoff.js';

export interface StartWhenReadyOptions {
  /** one attempt; throws while what it needs is not there */
  attempt: () => Promise<void>;
  /** told of each failed attempt and the delay before the next */
  onFailure: (err: unknown, retryInMs: number) => void;
  backoff?: BackoffOptions;
}

/** 500 ms, doubled up to 10 s: a daemon that comes up at boot is seen within 10 s of answering */
const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 10_000 };

export class StartWhenReady {
  private stopped = false;
  private started = false;
  private lastError: string | undefined;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** the loop of attempts; settles when one succeeded or stop() was called */
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly opts: StartWhenReadyOptions) {}

  /** Makes the first attempt and answers whether it worked; a failed one is retried in the background. */
  async begin(): Promise<boolean> {
    const failure = await this.tryOnce();
    if (failure === undefined) return true;
    this.running = this.retry(failure);
    return false;
  }

  /** the start went through */
  get done(): boolean {
    return this.started;
  }

  /** why the last attempt failed, while none has succeeded */
  get waitingFor(): string | undefined {
    return this.started ? undefined : this.lastError;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    await this.running;
  }

  /** one attempt: undefined when it worked, else its error */
  private async tryOnce(): Promise<unknown> {
    try {
      await this.opts.attempt();
      this.started = true;
      this.lastError = undefined;
      return undefined;
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      return err ?? new Error('failed');
    }
  }

  private async retry(firstFailure: unknown): Promise<void> {
    const backoff = new Backoff(this.opts.backoff ?? DEFAULT_BACKOFF);
    let failure: unknown = firstFailure;
    while (!this.stopped) {
      const delay = backoff.next();
      this.opts.onFailure(failure, delay);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, delay);
      });
      this.wake = undefined;
      if (this.stopped) return;
      failure = await this.tryOnce();
      if (failure === undefined) return;
    }
  }
}
