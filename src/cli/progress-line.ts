/**
 * Live progress of a long operation (a deploy, a rollback, a host drain): on a terminal one line redrawn
 * in place; otherwise (a log, CI, a pipe) each new state on a line of its own, and nothing repeated.
 */
export interface ProgressLine {
  show(line: string): void;
  /** ends the redrawn line, so what follows starts on a new one */
  end(): void;
}

export function progressLine(out: { isTTY?: boolean; write(text: string): unknown } = process.stdout): ProgressLine {
  const tty = out.isTTY === true;
  let last = '';
  let open = false;
  return {
    show(line) {
      if (line === last) return;
      last = line;
      if (tty) {
        out.write(`\r\x1b[K${line}`);
        open = true;
      } else out.write(`${line}\n`);
    },
    end() {
      if (open) out.write('\n');
      open = false;
    },
  };
}
