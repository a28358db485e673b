/**
 * The state of the app's one /events connection, as a pure state machine: what the banner shows and when
 * the next attempt is. Retries back off exponentially (src/core/backoff.ts, the one way Paz spaces retries)
 * and start from the first delay once a connection opens again.
 */
import { backoffDelayMs, type BackoffOptions } from '../../../src/core/backoff.js';

export const RETRY: BackoffOptions = { initialMs: 1_000, maxMs: 30_000 };

export type ConnectionStatus = 'connecting' | 'open' | 'retrying';

export interface ConnectionState {
  status: ConnectionStatus;
  /** failed attempts since the connection was last open */
  failures: number;
  /** while retrying: how long until the next attempt */
  retryInMs?: number;
  /** why the last attempt ended */
  error?: string;
  /** the id of the last event received: the next connection resumes after it (Last-Event-ID) */
  lastEventId?: string;
}

export const initialConnection: ConnectionState = { status: 'connecting', failures: 0 };

export function opened(s: ConnectionState): ConnectionState {
  return { status: 'open', failures: 0, lastEventId: s.lastEventId };
}

export function received(s: ConnectionState, id: string | undefined): ConnectionState {
  return id === undefined || id === '' ? s : { ...s, lastEventId: id };
}

/** The connection ended or could not open: wait the next backoff delay. */
export function dropped(s: ConnectionState, error: string): ConnectionState {
  return { status: 'retrying', failures: s.failures + 1, retryInMs: backoffDelayMs(s.failures, RETRY), error, lastEventId: s.lastEventId };
}

/** The next attempt starts (its delay passed, or "Retry now"). */
export function reconnecting(s: ConnectionState): ConnectionState {
  return { ...s, status: 'connecting', retryInMs: undefined };
}

/** Whether to show "connection lost — retrying…": only after a failure, not while the first connection opens. */
export function connectionLost(s: ConnectionState): boolean {
  return s.status !== 'open' && s.failures > 0;
}
