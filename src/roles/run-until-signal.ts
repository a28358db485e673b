/**
 * Keeps a role running until SIGINT/SIGTERM, then stops it cleanly. The handlers are installed before the
 * role starts (`stopSignals()` first thing): a signal that arrives while it is still starting (a supervisor,
 * a test or an impatient Ctrl-C right after the APIs answer) must not kill it half-started with Node's
 * default action, which would leave its router and units without a clean stop. Such a signal is kept, and
 * the role stops as soon as it is up.
 */
import type { Logger } from 'pino';

export interface StopSignals {
  /** Resolves after `stop` ran, once a signal came (at once if one came while starting). */
  runUntilSignal(logger: Logger, stop: () => Promise<void>): Promise<void>;
  /** Removes the handlers (the role failed to start and exits by itself). */
  dispose(): void;
}

export function stopSignals(): StopSignals {
  let received: NodeJS.Signals | undefined;
  let onStop: ((signal: NodeJS.Signals) => void) | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (received) return;
    received = signal;
    onStop?.(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  const dispose = () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
  return {
    dispose,
    async runUntilSignal(logger, stop) {
      const signal = received ?? (await new Promise<NodeJS.Signals>((resolve) => (onStop = resolve)));
      logger.info({ signal }, 'stopping');
      await stop().catch((err) => logger.error({ err }, 'error while stopping'));
      dispose();
    },
  };
}
