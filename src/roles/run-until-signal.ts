/** Keeps a role running until SIGINT/SIGTERM, then stops it cleanly (the promise resolves after stop). */
import type { Logger } from 'pino';

export async function runUntilSignal(logger: Logger, stop: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolveRun) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping');
      stop().then(
        () => resolveRun(),
        (err) => {
          logger.error({ err }, 'error while stopping');
          resolveRun();
        },
      );
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}
