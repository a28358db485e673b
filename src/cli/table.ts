import { terminalSafe } from './terminal-safe.js';

/**
 * A listing for a person: the table on stdout, or, when there is nothing to list, `empty` on stderr (what
 * it means and what to do) instead of a lone header line.
 */
export function printTable(headers: string[], rows: string[][], empty: string): void {
  if (rows.length === 0) console.error(empty);
  else console.log(table(headers, rows));
}

/**
 * A cell as shown: what a server sent (a unit's reason, a journal message, a description) with its control
 * characters spelled out (terminal-safe.ts), and its line breaks too, which would break the columns.
 */
function cellText(text: string): string {
  return terminalSafe(text).replace(/\n/g, '\\n').replace(/\t/g, ' ');
}

/** Plain aligned columns, like fleetctl's and docker's listings. */
export function table(headers: string[], rawRows: string[][]): string {
  const rows = rawRows.map((r) => r.map((c) => (c === undefined ? c : cellText(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
