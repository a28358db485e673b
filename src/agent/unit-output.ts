/**
 * The last lines of a unit's own output, for the reason of an exit ("exited with code 3: config.yml not
 * found"), so `paz rollout` and the journal say what the app said. Bounded in lines, line length and time:
 * a unit's output is whatever the app printed.
 */
import type { Driver } from './drivers/driver.js';
import { moreLinesMarker } from '../core/more-lines.js';

export const OUTPUT_LINES = 10;
/**
 * how many last lines are read to find the one the reason quotes: a Node.js crash ends with ten stack frames,
 * the error's fields and a version line after its message
 */
export const SCAN_LINES = 40;
export const OUTPUT_LINE_CHARS = 200;
/** the reason quotes only the last line, shorter */
export const REASON_LINE_CHARS = 120;
const READ_TIMEOUT_MS = 3000;

function cut(line: string, max: number): string {
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The last `max` non-blank lines, each cut to `OUTPUT_LINE_CHARS`, without control characters. */
export function boundOutput(lines: string[], max = OUTPUT_LINES): string[] {
  return lines
    // eslint-disable-next-line no-control-regex
    .map((l) => l.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '').trimEnd())
    .filter((l) => l.trim() !== '')
    .slice(-max)
    .map((l) => cut(l, OUTPUT_LINE_CHARS));
}

/**
 * What runtimes print after an error's message: stack frames and an error's fields (indented), closing brackets,
 * Node.js's version line, Go's goroutine header and frames, `go run`'s exit status and kill. And what a shell
 * prints when the kernel killed its child (an OOM kill of a `sh -c` command's program): busybox and dash print
 * `Killed`, bash `sh: line 1:    42 Killed    python app.py`; the reason already says the unit was killed.
 */
const AFTER_THE_MESSAGE = [
  /^\s/,
  /^[\]})]+[,;]?$/,
  /^Node\.js v\d+\.\d+\.\d+$/,
  /^goroutine \d+ \[.*\]:$/,
  /^[\w./*()-]+\(.*\)$/,
  /^exit status \d+$/,
  /^\^+$/,
  /^(?:Killed|\S+: line \d+: +\d+ +Killed +.*)$/,
  /^signal: killed$/,
];

/**
 * The line a reason quotes: the last one that is not what a runtime prints after an error's message. Node.js ends a
 * crash with the stack, the error's fields and `Node.js v20.20.2`, and quoting that last line said nothing; Java
 * and Go print frames after the exception or panic. A plain last line (`config.yml not found`) is itself. When
 * every line looks like such noise, the last.
 */
export function tellingLine(lines: readonly string[]): string | undefined {
  return lines[tellingIndex(lines)];
}

/** where tellingLine is in `lines`; -1 when there are none */
function tellingIndex(lines: readonly string[]): number {
  for (let i = lines.length - 1; i >= 0; i--) if (!AFTER_THE_MESSAGE.some((re) => re.test(lines[i]!))) return i;
  return lines.length - 1;
}

/**
 * The lines kept as an exited unit's last output (`lastOutput`, the dashboard's "last output"): the last
 * OUTPUT_LINES, or, when the telling line is further back, from it on, ending with how many lines follow. A Node.js
 * crash's last ten lines were its stack's end, its error's fields and its version: the message was not among them.
 */
export function keptOutput(lines: readonly string[]): string[] {
  const i = tellingIndex(lines);
  if (i < 0 || i >= lines.length - OUTPUT_LINES) return lines.slice(-OUTPUT_LINES);
  const kept = lines.slice(i, i + OUTPUT_LINES - 1);
  const left = lines.length - i - kept.length;
  return [...kept, moreLinesMarker(left)];
}

/** `why` followed by the output's telling line, e.g. "exited with code 3: config.yml not found". */
export function reasonWithOutput(why: string, output: string[]): string {
  const line = tellingLine(output);
  return line === undefined ? why : `${why}: ${cut(line.trim(), REASON_LINE_CHARS)}`;
}

/** The unit's last `SCAN_LINES` lines through its driver (bounded); [] when the driver has none or takes too long. */
export async function readLastOutput(driver: Driver, unit: string): Promise<string[]> {
  let stream: Awaited<ReturnType<Driver['logs']>> | undefined;
  const lines: string[] = [];
  try {
    stream = await driver.logs(unit, { tail: SCAN_LINES });
    const s = stream;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, READ_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      s.on('data', (line: string | Buffer) => {
        lines.push(String(line));
        if (lines.length > 4 * SCAN_LINES) lines.splice(0, lines.length - SCAN_LINES);
      });
      s.once('end', done);
      s.once('close', done);
      s.once('error', done);
    });
  } catch {
    return [];
  } finally {
    stream?.destroy();
  }
  return boundOutput(lines, SCAN_LINES);
}
