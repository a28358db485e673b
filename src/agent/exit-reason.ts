/**
 * Why a unit's process ended, from its exit code, as the first words of its reason ("exited with code 3", then the
 * output's telling line: unit-output.ts). An exit code above 128 is a signal's death (128 + its number, as Docker and
 * a shell report it): a SIGKILL or SIGTERM comes from outside the app, and the app's last line, printed before it,
 * says nothing of why (a killed web server's last line was its access log: "GET / 200"), so it is not quoted then.
 */
import { constants } from 'node:os';

export interface ExitWhy {
  /** e.g. "exited with code 3", "killed by SIGKILL (exit code 137) …" */
  why: string;
  /** whether the app's last output may say why (not for a signal sent from outside) */
  quoteOutput: boolean;
}

/** by number; where two names share one (SIGABRT and SIGIOT, SIGIO and SIGPOLL), the first, the usual one */
const SIGNAL_NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(constants.signals)) if (!SIGNAL_NAMES.has(n)) SIGNAL_NAMES.set(n, name);

/** sent to a process from outside to end it; the app prints nothing of it before it dies */
const FROM_OUTSIDE = new Set(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGHUP']);

/** The signal a shell-style exit code stands for (128 + its number), if any. */
export function signalOfExitCode(exitCode: number): string | undefined {
  return exitCode > 128 ? SIGNAL_NAMES.get(exitCode - 128) : undefined;
}

export function exitWhy(exitCode: number | undefined, oomKilled: boolean): ExitWhy {
  if (oomKilled) return { why: 'killed for using more memory than its limit', quoteOutput: true };
  if (exitCode === undefined) return { why: 'exited with code unknown', quoteOutput: true };
  const signal = signalOfExitCode(exitCode);
  if (signal === 'SIGKILL') {
    return {
      why: `killed by SIGKILL (exit code ${exitCode}), not by its memory limit: something outside the app ended it (docker kill, kill -9, the host out of memory)`,
      quoteOutput: false,
    };
  }
  if (signal !== undefined && FROM_OUTSIDE.has(signal)) {
    return { why: `ended by ${signal} (exit code ${exitCode}), sent from outside Paz (docker stop, kill)`, quoteOutput: false };
  }
  // a crash signal (SIGSEGV, SIGABRT, SIGBUS…): the app or its runtime may have said why just before
  if (signal !== undefined) return { why: `ended by ${signal} (exit code ${exitCode})`, quoteOutput: true };
  return { why: `exited with code ${exitCode}`, quoteOutput: true };
}
