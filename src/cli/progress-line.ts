import { terminalSafe } from './terminal-safe.js';

/**
 * Live progress of a long operation (a deploy, a rollback, a host drain): on a terminal one line redrawn
 * in place; otherwise (a log, CI, a pipe) each new state on a line of its own, and nothing repeated.
 */
export interface ProgressLine {
  show(line: string): void;
  /** ends the redrawn line, so what follows starts on a new one */
  end(): void;
}

export function progressLine(out: { isTTY?: boolean; columns?: number; write(text: string): unknown } = process.stdout): ProgressLine {
  const tty = out.isTTY === true;
  let last = '';
  let open = false;
  return {
    show(text) {
      // the line carries what a server said (a reason, a unit's name): its escape codes are shown, not obeyed
      const line = terminalSafe(text);
      if (line === last) return;
      last = line;
      if (tty) {
        // a line longer than the terminal wraps, and the redraw would clear only its last row: cut to fit
        const width = out.columns !== undefined && out.columns > 1 ? out.columns - 1 : undefined;
        out.write(`\r\x1b[K${width !== undefined && line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
        open = true;
      } else out.write(`${line}\n`);
    },
    end() {
      if (open) out.write('\n');
      open = false;
    },
  };
}
