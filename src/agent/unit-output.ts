/**
 * The last lines of a unit's own output, for the reason of an exit ("exited with code 3: config.yml not
 * found"), so `paz rollout` and the journal say what the app said. Bounded in lines, line length and time:
 * a unit's output is whatever the app printed.
 */
import type { Driver } from './drivers/driver.js';

export const OUTPUT_LINES = 10;
export const OUTPUT_LINE_CHARS = 200;
/** the reason quotes only the last line, shorter */
export const REASON_LINE_CHARS = 120;
const READ_TIMEOUT_MS = 3000;

function cut(line: string, max: number): string {
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The last `OUTPUT_LINES` non-blank lines, each cut to `OUTPUT_LINE_CHARS`, without control characters. */
export function boundOutput(lines: string[]): string[] {
  return lines
    // eslint-disable-next-line no-control-regex
    .map((l) => l.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '').trimEnd())
    .filter((l) => l.trim() !== '')
    .slice(-OUTPUT_LINES)
    .map((l) => cut(l, OUTPUT_LINE_CHARS));
}

/** `why` followed by the output's last line, e.g. "exited with code 3: config.yml not found". */
export function reasonWithOutput(why: string, output: string[]): string {
  const last = output.at(-1);
  return last === undefined ? why : `${why}: ${cut(last.trim(), REASON_LINE_CHARS)}`;
}

/** The unit's last lines through its driver; [] when the driver has none or takes too long. */
export async function readLastOutput(driver: Driver, unit: string): Promise<string[]> {
  let stream: Awaited<ReturnType<Driver['logs']>> | undefined;
  const lines: string[] = [];
  try {
    stream = await driver.logs(unit, { tail: OUTPUT_LINES });
    const s = stream;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, READ_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      s.on('data', (line: string | Buffer) => {
        lines.push(String(line));
        if (lines.length > 4 * OUTPUT_LINES) lines.splice(0, lines.length - OUTPUT_LINES);
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
  return boundOutput(lines);
}
