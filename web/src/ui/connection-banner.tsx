/** "Connection lost — retrying…" while the live connection is down, with a way to retry at once. */
import { useConnection } from '../live';

export function ConnectionBanner() {
  const { state, lost, retryNow } = useConnection();
  if (!lost) return null;
  const when = state.status === 'retrying' && state.retryInMs !== undefined ? ` in ${Math.round(state.retryInMs / 1000)} s` : '';
  return (
    <div className="banner" role="status" aria-live="polite">
      <span>
        Connection lost — retrying{when}… <span className="muted">({state.error})</span> Pages may be out of date.
      </span>
      <button type="button" onClick={retryNow} disabled={state.status === 'connecting'}>
        Retry now
      </button>
    </div>
  );
}
