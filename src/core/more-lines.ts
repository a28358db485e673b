/**
 * The line that ends a unit's kept output (`lastOutput`) when that output begins at the error's message rather
 * than at its last ten lines (agent/unit-output.ts keptOutput): what follows was cut, and its readers (the rollout's
 * failure text) then quote the beginning, not the end.
 */
const MARKER = /^… \d+ more lines? \(paz logs shows them\)$/;

export function moreLinesMarker(left: number): string {
  return `… ${left} more line${left === 1 ? '' : 's'} (paz logs shows them)`;
}

export function isMoreLinesMarker(line: string | undefined): boolean {
  return line !== undefined && MARKER.test(line);
}
