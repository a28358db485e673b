/**
 * Spawning a unit's process so that it outlives the agent: its own session and process group (stop() signals
 * the whole group), stdout and stderr straight into its log file (no pipe to an agent that may die), not
 * referenced by the agent's event loop. The spawn itself runs on the spawner's worker thread (spawner.ts), so
 * the agent's loop never waits for the child's exec. Resolves once the process exists.
 */
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import type { Spawner, SpawnedChild } from './spawner.js';

export interface SpawnUnitOptions {
  cwd: string;
  env: Record<string, string>;
  logPath: string;
  /** truncate the log (a new start) or append to it (a restart) */
  freshLog: boolean;
  /** lines written to the log before the process starts, each prefixed `paz: ` */
  notes?: string[];
  /** the user the process runs as; absent: the agent's own */
  user?: { uid: number; gid: number };
}

export async function spawnUnitProcess(spawner: Spawner, file: string, argv: string[], opts: SpawnUnitOptions): Promise<SpawnedChild> {
  // O_APPEND either way: the log is truncated under the unit when it grows too big (log-cap.ts), and a descriptor
  // without it would write on at its old offset, after a hole of zeros
  const logFd = openSync(opts.logPath, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | (opts.freshLog ? constants.O_TRUNC : 0), 0o666);
  try {
    for (const note of opts.notes ?? []) writeSync(logFd, `paz: ${note}\n`);
    return await spawner.spawn({ file, args: argv, cwd: opts.cwd, env: opts.env, outFd: logFd, ...opts.user });
  } finally {
    closeSync(logFd);
  }
}
