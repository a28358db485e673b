/**
 * `paz exec` for a process unit: the command runs beside the unit's process as it would inside a container,
 * with what that process was started with, read from /proc: its environment (secrets opened included, so a
 * migration finds its DATABASE_URL), its working directory and its user. Not in the unit's cgroups: a
 * command's memory is not counted against the unit's limit (nor can it OOM-kill the unit).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';
import { LineSplitter } from '../docker/line-splitter.js';
import { EXEC_MAX_LINE_CHARS, exitCodeOfSignal } from '../../../core/exec-command.js';
import { parseEnviron, parseUidGid } from './proc-parse.js';

/** how long output may still come once the command exited (what it left running may hold its pipes open) */
const OUTPUT_AFTER_EXIT_MS = 2_000;

export type ExecLine = { stream: 'stdout' | 'stderr'; text: string };

/** Runs `command` as the process `pid` runs; resolves with its exit code. `pid` must be the unit's, checked alive. */
export function execBeside(pid: number, command: string[], onLine: (l: ExecLine) => void, signal: AbortSignal, procRoot = '/proc'): Promise<number> {
  const env = parseEnviron(readFileSync(`${procRoot}/${pid}/environ`, 'utf8'));
  const cwd = readlinkSync(`${procRoot}/${pid}/cwd`);
  const ids = parseUidGid(readFileSync(`${procRoot}/${pid}/status`, 'utf8'));
  return new Promise((resolve) => {
    // the program is looked up in the unit's PATH, as its own shell would
    // a process group of its own: aborted, the command goes with all it started (`sh -c 'sleep 30'`'s sleep)
    const child = spawn(command[0], command.slice(1), { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...(ids && ids.uid !== process.getuid?.() ? ids : {}) });
    const kill = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    };
    if (signal.aborted) kill();
    else signal.addEventListener('abort', kill, { once: true });
    child.once('close', () => signal.removeEventListener('abort', kill));
    for (const stream of ['stdout', 'stderr'] as const) {
      const lines = new LineSplitter(EXEC_MAX_LINE_CHARS);
      child[stream].on('data', (chunk: Buffer) => {
        for (const text of lines.push(chunk)) onLine({ stream, text });
      });
      child[stream].on('end', () => {
        for (const text of lines.end()) onLine({ stream, text });
      });
    }
    child.once('error', (err: NodeJS.ErrnoException) => {
      // not started at all: the shell's words and codes (127 not found, 126 found but not runnable). A PATH
      // search that met a directory the unit's user may not enter says EACCES even when the program is nowhere.
      const missing = err.code === 'ENOENT' || (err.code === 'EACCES' && !command[0].includes('/') && !onPath(command[0], env.PATH));
      onLine({ stream: 'stderr', text: `${command[0]}: ${missing ? "no such program (not in the unit's PATH, nor a path that exists)" : `cannot run it: ${err.message}`}` });
      resolve(missing ? 127 : 126);
    });
    const ended = (code: number | null, sig: NodeJS.Signals | null) => resolve(code ?? exitCodeOfSignal(sig, constants.signals));
    child.once('close', ended);
    // a process it left in the background (`sh -c 'daemon &'`) may hold its output open for good: once the
    // command itself exited, what it wrote has a moment to arrive, then the answer ends without the rest
    child.once('exit', (code, sig) => {
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        ended(code, sig);
      }, OUTPUT_AFTER_EXIT_MS).unref();
    });
  });
}

/** `program` is a file in one of PATH's directories (the default PATH when the unit has none, as execvp uses). */
function onPath(program: string, path = '/usr/local/bin:/usr/bin:/bin'): boolean {
  return path.split(':').some((dir) => dir !== '' && existsSync(join(dir, program)));
}
