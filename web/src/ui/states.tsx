/** The shared ways a page shows loading, an error, nothing, and a state (with words, not colour alone). */
import type { ReactNode } from 'react';
import type { ApiError } from '../api/client';

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}

export function ErrorState({ error, retry }: { error: ApiError; retry?: () => void }) {
  return (
    <div className="error-state" role="alert">
      <p>
        <strong>{error.status ? `${error.status} ${error.code}` : error.code}</strong>: {error.message}
      </p>
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function EmptyState({ children }: { children: ReactNode }) {
  return <div className="empty-state">{children}</div>;
}

export type Tone = 'ok' | 'bad' | 'busy' | 'idle';

/** A state word on a coloured badge; the word alone says it (colour is a second cue). */
export function StateBadge({ tone, children }: { tone: Tone; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

export function toneOfDeploy(state: string | undefined): Tone {
  if (state === 'succeeded') return 'ok';
  if (state === 'failed') return 'bad';
  if (state === undefined) return 'idle';
  return 'busy';
}
