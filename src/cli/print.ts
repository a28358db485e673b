/**
 * How a command prints a line for its user: text that may carry something from elsewhere (a server's answer, a
 * name, a file's bytes) goes through terminalSafe(), so an escape sequence in it is shown, never obeyed. Output
 * that carries escape codes on purpose (colour, a redrawn progress line) and a unit's own output (`paz logs`,
 * as `docker logs` passes an app's colours through) are written directly.
 */
import { terminalSafe } from './terminal-safe.js';

/** A line on standard output. */
export function print(text: string): void {
  console.log(terminalSafe(text));
}

/** A line on standard error: errors, notes and progress beside the result on standard output. */
export function printError(text: string): void {
  console.error(terminalSafe(text));
}
