/**
 * A listing for a person: the table on stdout, or, when there is nothing to list, `empty` on stderr (what
 * it means and what to do) instead of a lone header line.
 */
export function printTable(headers: string[], rows: string[][], empty: string): void {
  if (rows.length === 0) console.error(empty);
  else console.log(table(headers, rows));
}

/** Plain aligned columns, like fleetctl's and docker's listings. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
