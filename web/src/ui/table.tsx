/**
 * The shared table for list pages. Short lists render whole; long ones (more than `virtualiseAbove`
 * rows) are virtualised: a scrolling box of fixed height draws only the rows in view (ui/table-window.ts)
 * with spacer rows for the rest, so a list of 1,000 units keeps a screenful of rows in the DOM. Rows of a
 * virtualised table are one line high (cells cut with an ellipsis) so every row has the same height. Cells carry their column's name (data-label) so a page may lay
 * short tables out as cards on a phone (cluster.css, .cards).
 */
import { useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { rowWindow } from './table-window';
import './cluster.css';

export interface Column<T> {
  /** column heading */
  header: string;
  cell(row: T): ReactNode;
  className?: string;
  /** this column's cell is the row's heading (th scope=row) */
  rowHeader?: boolean;
}

export interface TableProps<T> {
  /** what the table lists, for screen readers and the scroll box's label */
  label: string;
  columns: Column<T>[];
  rows: T[];
  rowKey(row: T): string;
  /** extra attributes of a row (data-* for tests and styling) */
  rowAttrs?(row: T): Record<string, string | undefined>;
  className?: string;
  /** pixel height of one row when virtualised */
  rowHeight?: number;
  /** pixel height of the scrolling box when virtualised */
  height?: number;
  virtualiseAbove?: number;
}

export function Table<T>({ label, columns, rows, rowKey, rowAttrs, className, rowHeight = 40, height = 560, virtualiseAbove = 60 }: TableProps<T>) {
  const virtual = rows.length > virtualiseAbove;
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(height);

  useLayoutEffect(() => {
    const el = box.current;
    if (!virtual || !el) return;
    setViewport(el.clientHeight || height);
    const ro = new ResizeObserver(() => setViewport(el.clientHeight || height));
    ro.observe(el);
    return () => ro.disconnect();
  }, [virtual, height]);

  const w = virtual ? rowWindow(rows.length, rowHeight, scrollTop, viewport) : { start: 0, end: rows.length, padTop: 0, padBottom: 0 };
  const shown = rows.slice(w.start, w.end);
  const span = columns.length;

  return (
    <div
      ref={box}
      className={`table-wrap${virtual ? ' vtable' : ''}`}
      style={virtual ? { maxHeight: height } : undefined}
      onScroll={virtual ? (e) => setScrollTop(e.currentTarget.scrollTop) : undefined}
      tabIndex={virtual ? 0 : undefined}
      role={virtual ? 'region' : undefined}
      aria-label={virtual ? `${label} (${rows.length} rows, scroll to see more)` : undefined}
      data-rows={rows.length}
    >
      <table className={className} aria-label={label} aria-rowcount={rows.length + 1}>
        <thead>
          <tr aria-rowindex={1}>
            {columns.map((c) => (
              <th key={c.header} scope="col" className={c.className}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {w.padTop > 0 && (
            <tr className="spacer" aria-hidden="true" style={{ height: w.padTop }}>
              <td colSpan={span} />
            </tr>
          )}
          {shown.map((r, i) => (
            <tr key={rowKey(r)} aria-rowindex={w.start + i + 2} style={virtual ? { height: rowHeight } : undefined} {...(rowAttrs?.(r) ?? {})}>
              {columns.map((c) =>
                c.rowHeader ? (
                  <th key={c.header} scope="row" className={c.className} data-label={c.header}>
                    {c.cell(r)}
                  </th>
                ) : (
                  <td key={c.header} className={c.className} data-label={c.header}>
                    {c.cell(r)}
                  </td>
                ),
              )}
            </tr>
          ))}
          {w.padBottom > 0 && (
            <tr className="spacer" aria-hidden="true" style={{ height: w.padBottom }}>
              <td colSpan={span} />
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
