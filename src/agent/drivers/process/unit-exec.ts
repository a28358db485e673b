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

/** how long output may be quiet once the command exited before the answer ends (what it left running may hold its pipes open) */
const OUTPUT_AFTER_EXIT_MS = 2_000;

export type ExecLine = { stream: 'stdout' | 'stderr'; text: string };

/** Runs `command` as the process `pid` runs; resolves with its exit code. `pid` must be the unit's, checked alive. */
export function execBeside(pid: number, command: string[], onLine: (l: ExecLine) => void | Promise<void>, signal: AbortSignal, procRoot = '/proc'): Promise<number> {
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
    // A process it left in the background (`sh -c 'daemon &'`) may hold its output open for good: once the
    // command itself exited and its output has been quiet (and not held back by a slow reader) for a moment, the
    // answer ends without the rest.
    let exited: { code: number | null; sig: NodeJS.Signals | null } | undefined;
    let held = 0;
    let quiet: NodeJS.Timeout | undefined;
    const armQuiet = () => {
      clearTimeout(quiet);
      if (!exited || held > 0) return;
      const { code, sig } = exited;
      quiet = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        ended(code, sig);
      }, OUTPUT_AFTER_EXIT_MS);
      quiet.unref();
    };
    for (const stream of ['stdout', 'stderr'] as const) {
      const lines = new LineSplitter(EXEC_MAX_LINE_CHARS);
      child[stream].on('data', (chunk: Buffer) => {
        armQuiet();
        // a reader that is behind pauses the pipe (and the command's writes, once it is full)
        const waits = lines.push(chunk).map((text) => onLine({ stream, text })).filter((w): w is Promise<void> => w instanceof Promise);
        if (waits.length === 0) return;
        child[stream].pause();
        held++;
        clearTimeout(quiet);
        const go = () => {
          held--;
          child[stream].resume();
          armQuiet();
        };
        void Promise.all(waits).then(go, go);
      });
      child[stream].on('end', () => {
        for (const text of lines.end()) void onLine({ stream, text });
      });
    }
    child.once('error', (err: NodeJS.ErrnoException) => {
      // not started at all: the shell's words and codes (127 not found, 126 found but not runnable). A PATH
      // search that met a directory the unit's user may not enter says EACCES even when the program is nowhere.
      const missing = err.code === 'ENOENT' || (err.code === 'EACCES' && !command[0].includes('/') && !onPath(command[0], env.PATH));
      void onLine({ stream: 'stderr', text: `${command[0]}: ${missing ? "no such program (not in the unit's PATH, nor a path that exists)" : `cannot run it: ${err.message}`}` });
      resolve(missing ? 127 : 126);
    });
    const ended = (code: number | null, sig: NodeJS.Signals | null) => {
      clearTimeout(quiet);
      resolve(code ?? exitCodeOfSignal(sig, constants.signals));
    };
    child.once('close', ended);
    child.once('exit', (code, sig) => {
      exited = { code, sig };
      armQuiet();
    });
  });
}

/** `program` is a file in one of PATH's directories (the default PATH when the unit has none, as execvp uses). */
function onPath(program: string, path = '/usr/local/bin:/usr/bin:/bin'): boolean {
  return path.split(':').some((dir) => dir !== '' && existsSync(join(dir, program)));
}
