/**
 * A line diff of two texts (longest common subsequence), and configs as stable JSON lines (keys sorted, so
 * a diff shows changed values, not reordered keys). Pure; small enough that no diff library is needed for
 * configs of a few hundred lines.
 */

export type DiffOp = 'same' | 'added' | 'removed';

export interface DiffLine {
  op: DiffOp;
  text: string;
}

/**
 * Each line of `before` and `after` once: kept, removed from before, or added in after, in order. Lines
 * are compared by `key` (kept lines show after's text), so JSON's trailing commas can be ignored.
 */
export function diffLines(before: string[], after: string[], key: (line: string) => string = (l) => l): DiffLine[] {
  const a = before.map(key);
  const b = after.map(key);
  const n = before.length;
  const m = after.length;
  // lcs[i][j]: length of the longest common subsequence of before[i..] and after[j..]
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: 'same', text: after[j] });
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
      out.push({ op: 'removed', text: before[i++] });
    } else {
      out.push({ op: 'added', text: after[j++] });
    }
  }
  while (i < n) out.push({ op: 'removed', text: before[i++] });
  while (j < m) out.push({ op: 'added', text: after[j++] });
  return out;
}

/** `value` with object keys sorted at every depth (arrays keep their order). */
export function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((k) => [k, sortedKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** A value as pretty JSON lines with sorted keys; undefined (nothing there) is no lines. */
export function jsonLines(value: unknown): string[] {
  return value === undefined ? [] : JSON.stringify(sortedKeys(value), null, 2).split('\n');
}

/** The diff of two JSON values, line by line; a comma added after a kept line (a new last field) is no change. */
export function diffJson(before: unknown, after: unknown): DiffLine[] {
  return diffLines(jsonLines(before), jsonLines(after), (l) => l.replace(/,$/, ''));
}

/** Whether a diff changes anything. */
export function hasChanges(diff: DiffLine[]): boolean {
  return diff.some((l) => l.op !== 'same');
}
