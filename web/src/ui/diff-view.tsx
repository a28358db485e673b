/** A line diff shown as a listing: + added, − removed, with words for screen readers (not colour alone). */
import type { DiffLine } from './diff';
import { hasChanges } from './diff';
import './service-pages.css';

export function DiffView({ diff, label, emptyText = 'No differences.' }: { diff: DiffLine[]; label: string; emptyText?: string }) {
  if (!hasChanges(diff)) return <p className="muted diff-none">{emptyText}</p>;
  return (
    <pre className="diff" aria-label={label} tabIndex={0}>
      {diff.map((l, i) => (
        <span key={i} className={`diff-${l.op}`}>
          <span className="diff-mark" aria-label={l.op === 'same' ? undefined : l.op}>
            {l.op === 'added' ? '+' : l.op === 'removed' ? '−' : ' '}
          </span>
          {l.text}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}
