/**
 * Which rows of a long list a virtualised table draws: only those in the scrolled viewport plus a few
 * above and below (overscan), with spacers standing in for the rest, so 1,000 rows cost a screenful of
 * DOM. Rows have one fixed height, which keeps this arithmetic exact. Pure.
 */

export interface RowWindow {
  /** first row drawn (inclusive) */
  start: number;
  /** last row drawn (exclusive) */
  end: number;
  /** pixels of spacer above the first drawn row */
  padTop: number;
  /** pixels of spacer below the last drawn row */
  padBottom: number;
}

export function rowWindow(total: number, rowHeight: number, scrollTop: number, viewportHeight: number, overscan = 8): RowWindow {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0, padTop: 0, padBottom: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const visible = Math.ceil(Math.max(0, viewportHeight) / rowHeight) + 1;
  const start = Math.min(Math.max(0, first - overscan), total);
  const end = Math.min(total, first + visible + overscan);
  return { start, end, padTop: start * rowHeight, padBottom: (total - end) * rowHeight };
}
