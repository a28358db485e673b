/**
 * A health verdict (GET /cluster/health, /cluster/hosts/:id/health, /services/:name/health): its status in
 * a word and, when not healthy, why, in the server's sentences.
 */
import type { HealthStatus } from '../../../src/api/answer-types';
import type { ApiError } from '../api/client';
import { StateBadge, type Tone } from './states';

/** how often a page showing health reads it again: it changes with time alone (a heartbeat ages) */
export const HEALTH_EVERY_MS = 5000;

export const toneOfHealth = (s: HealthStatus): Tone => (s === 'healthy' ? 'ok' : s === 'degraded' ? 'busy' : 'bad');

export function HealthVerdict({ health, error }: { health?: { status: HealthStatus; reasons: string[]; checkedAt: number }; error?: ApiError }) {
  if (!health) return error ? <span className="error">{error.message}</span> : <span className="muted">reading…</span>;
  return (
    <div className="health-verdict" data-health={health.status}>
      <StateBadge tone={toneOfHealth(health.status)}>{health.status}</StateBadge> <span className="muted">checked {new Date(health.checkedAt).toLocaleTimeString()}</span>
      {health.reasons.length > 0 && (
        <ul className="health-reasons">
          {health.reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
