/**
 * Spawning a unit's process so that it outlives the agent: its own session and process group (stop() signals
 * the whole group), stdout and stderr straight into its log file (no pipe to an agent that may die), not
 * referenced by the agent's event loop. Resolves once the process exists.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';

export interface SpawnUnitOptions {
  cwd: string;
  env: Record<string, string>;
  logPath: string;
  /** truncate the log (a new start) or append to it (a restart) */
  freshLog: boolean;
  /** lines written to the log before the process starts, each prefixed `paz: ` */
  notes?: string[];
}

export async function spawnUnitProcess(file: string, argv: string[], opts: SpawnUnitOptions): Promise<ChildProcess> {
  const logFd = openSync(opts.logPath, opts.freshLog ? 'w' : 'a');
  try {
    for (const note of opts.notes ?? []) writeSync(logFd, `paz: ${note}\n`);
    const child = spawn(file, argv, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', logFd, logFd] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    return child;
  } finally {
    closeSync(logFd);
  }
}
