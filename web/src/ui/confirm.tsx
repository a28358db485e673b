/**
 * A write action that asks first: the button opens an inline "Are you sure?" with Confirm and Cancel, so
 * a stray click (or Enter) never rolls back or scales a service. Shows the API's error if it refuses.
 */
import { useState, type ReactNode } from 'react';
import { ApiError } from '../api/client';

/** `disabled`: a reason the action cannot be taken now, shown beside the button (true: none said) */
export function ConfirmAction({ label, question, onConfirm, disabled }: { label: string; question: ReactNode; onConfirm(): Promise<void>; disabled?: boolean | string }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  if (!asking) {
    return (
      <span className="confirm">
        <button type="button" disabled={disabled !== undefined && disabled !== false} onClick={() => (setAsking(true), setError(undefined))}>
          {label}
        </button>
        {typeof disabled === 'string' && <span className="muted">{disabled}</span>}
        {error && (
          <span className="error" role="alert">
            {error}
          </span>
        )}
      </span>
    );
  }
  return (
    <span className="confirm asking" role="group" aria-label={`Confirm: ${label}`}>
      <span>{question}</span>
      <button
        type="button"
        autoFocus
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            await onConfirm();
          } catch (e) {
            setError(e instanceof ApiError ? e.message : (e as Error).message);
          } finally {
            setBusy(false);
            setAsking(false);
          }
        }}
      >
        Confirm
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
