/** What a `paz` CLI run ended with (runPaz), and the two outcomes tests check it for. */
import assert from 'node:assert/strict';

export type CliResult = { code: number | null; stdout: string; stderr: string };

/** It worked (exit 0); `what` names the command in the failure message. */
export function ok(r: CliResult, what: string): CliResult {
  assert.equal(r.code, 0, `${what} exited with ${r.code}: ${r.stdout}${r.stderr}`);
  return r;
}

/** It failed with `code` and said `message` on stderr, as a sentence rather than a stack trace. */
export function refused(r: CliResult, code: number, message: RegExp): void {
  assert.equal(r.code, code, `expected exit ${code}, got ${r.code}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'a message, not a stack trace');
}
