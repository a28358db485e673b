/**
 * The control plane's --host-loss-grace as agents learn it: every `paz server` writes its own to
 * /paz/config/host-loss-grace when it starts (roles/control-plane.ts), and an agent reads it at start and
 * follows it with a watch, so it fences itself (core/store-fence.ts) by the grace the control plane counts,
 * not by a flag of its own that could disagree. Before any server wrote one: the default (30 s).
 */
import type { Store, Watch } from '../store/store.js';
import { keys } from '../core/keys.js';
import { DEFAULT_HOST_LOSS_GRACE_SECONDS } from '../core/heartbeat.js';
import { sharedWatch } from './store-loop.js';

/** Seconds from the stored text; undefined for anything that is not a positive number. */
export function parseHostLossGrace(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

export class HostLossGrace {
  private seconds = DEFAULT_HOST_LOSS_GRACE_SECONDS;
  private watch: Watch | undefined;

  constructor(
    private readonly store: Store,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Reads the grace and follows it (a watch that dies leaves the last value, read again by load()). */
  async load(): Promise<void> {
    await this.watch?.cancel().catch(() => undefined);
    this.watch = undefined;
    const key = keys.hostLossGrace();
    this.watch = await sharedWatch(this.store, key, (events) => {
      for (const e of events) if (e.key === key) this.set(e.type === 'delete' ? undefined : e.value);
    }, (err) => {
      this.watch = undefined;
      this.onError(err);
    });
    this.set((await this.store.get(key))?.value);
  }

  /** whether a watch follows the value (after a dead one, the agent calls load() again when it can) */
  get following(): boolean {
    return this.watch !== undefined;
  }

  ms(): number {
    return this.seconds * 1000;
  }

  async stop(): Promise<void> {
    await this.watch?.cancel().catch(() => undefined);
    this.watch = undefined;
  }

  private set(text: string | undefined): void {
    this.seconds = parseHostLossGrace(text) ?? DEFAULT_HOST_LOSS_GRACE_SECONDS;
  }
}
