/**
 * When an agent cut off from the store stops its own units (fencing, Nomad's stop_after_client_disconnect,
 * here the default). Pure: the agent feeds it monotonic times (performance.now(), never the wall clock, so a
 * clock stepped by NTP or by hand neither fences nor un-fences anybody) and acts on what it answers.
 *
 * When: the control plane places a host's units elsewhere only after the host's lease expired (its TTL after
 * the last renewal the store saw) AND --host-loss-grace more (placement.ts lostUnits): never before
 * TTL + grace after the last renewal. The agent stops its units a head start of min(TTL, grace / 2) before
 * that, i.e. after max(grace, TTL + grace / 2) without a renewal. With the defaults (grace 30 s, TTL 10 s)
 * that is the grace, 30 s, a whole TTL before any replacement can even be placed, so the stop (SIGTERM, the
 * unit's stop grace, SIGKILL) is over before a copy starts elsewhere. A blip shorter than that (an etcd
 * election, a restarted server) stops nothing. With a grace shorter than the TTL (tests), the agent still
 * waits for its lease to have expired and half the grace more: the ordinary gap between two renewals (a third
 * of the TTL), or a lease lost for a moment while the store's client fails over, stops nothing either.
 *
 * A renewal counts from when it was SENT: the store extended the lease at some moment after that, never before,
 * so the lease lives at least TTL past the send time. And the silence counts only once a renewal was sent and
 * not answered: an agent whose own event loop stood still (a long pause, a blocked loop) has sent nothing, and
 * asks the store before it decides anything.
 */
import { keys } from './keys.js';
import type { JournalEntry } from './records.js';

export interface FenceState {
  /** monotonic ms of the last renewal that succeeded (when it was sent) */
  lastRenewedAt: number;
  /** monotonic ms of the last renewal sent, answered or not */
  lastAttemptAt?: number;
  /** monotonic ms when the units were stopped; undefined while not fenced */
  fencedAt?: number;
}

export type FenceInput =
  /** a lease renewal (keep-alive or a new lease) is sent at `at` */
  | { type: 'attempt'; at: number }
  /** a lease renewal (keep-alive or a new lease) sent at `at` succeeded, answered at `answeredAt` (default `at`) */
  | { type: 'renewed'; at: number; answeredAt?: number }
  /** time passed: `at` is now */
  | { type: 'tick'; at: number };

export type FenceAction =
  | { kind: 'none' }
  /** stop every unit of the host: it was cut off `silentMs`, at least the grace */
  | { kind: 'fence'; silentMs: number }
  /** the store renewed the lease again after a fence: re-sync to what the store says now */
  | { kind: 'rejoin'; fencedForMs: number };

export interface FenceTimes {
  /** the control plane's --host-loss-grace (ms) */
  graceMs: number;
  /** the TTL of the agent's lease (ms) */
  leaseTtlMs: number;
}

export function initialFence(now: number): FenceState {
  return { lastRenewedAt: now };
}

/** How long without a renewal before the units stop: TTL + grace less a head start of min(TTL, grace / 2). */
export function fenceAfterMs(t: FenceTimes): number {
  return t.leaseTtlMs + t.graceMs - Math.min(t.leaseTtlMs, t.graceMs / 2);
}

/** The next state and what to do. */
export function nextFence(state: FenceState, input: FenceInput, times: FenceTimes): { state: FenceState; action: FenceAction } {
  if (input.type === 'attempt') return { state: { ...state, lastAttemptAt: Math.max(state.lastAttemptAt ?? input.at, input.at) }, action: { kind: 'none' } };
  if (input.type === 'renewed') {
    // a renewal answered late (sent before a newer one) never moves the last renewal back
    const next: FenceState = { ...state, lastRenewedAt: Math.max(state.lastRenewedAt, input.at) };
    if (state.fencedAt === undefined) return { state: next, action: { kind: 'none' } };
    // a renewal sent before the fence proves nothing about now: the units stay stopped until a newer one
    if (input.at < state.fencedAt) return { state: next, action: { kind: 'none' } };
    delete next.fencedAt;
    return { state: next, action: { kind: 'rejoin', fencedForMs: Math.max(0, (input.answeredAt ?? input.at) - state.fencedAt) } };
  }
  if (state.fencedAt !== undefined) return { state, action: { kind: 'none' } };
  // nothing sent since the last renewal answered: the agent itself stood still, the store was never asked
  if (state.lastAttemptAt === undefined || state.lastAttemptAt <= state.lastRenewedAt) return { state, action: { kind: 'none' } };
  // a time before the last renewal (a monotonic clock never goes back; a caller's mistake must not fence)
  const silentMs = Math.max(0, input.at - state.lastRenewedAt);
  if (silentMs < fenceAfterMs(times)) return { state, action: { kind: 'none' } };
  return { state: { ...state, fencedAt: input.at }, action: { kind: 'fence', silentMs } };
}

/**
 * The journal entry of a fence, written once the store answers again (it could not be written during the
 * fence), keyed at the time of the fence so the journal keeps time order.
 */
export function fenceJournalEntry(f: { hostId: string; hostname: string; fencedAt: number; fencedForMs: number; units: string[] }): { key: string; value: string } {
  const shown = f.units.length > 10 ? `${f.units.slice(0, 10).join(', ')} and ${f.units.length - 10} more` : f.units.join(', ');
  const entry: JournalEntry = {
    event: 'host-fenced',
    serviceName: '',
    version: 0,
    timestamp: f.fencedAt,
    message: `host ${f.hostId} (${f.hostname}) was cut off from the store for longer than the host-loss grace and stopped its ${f.units.length} units${f.units.length > 0 ? ` (${shown})` : ''} so that none ran twice; it rejoined ${Math.round(f.fencedForMs / 1000)} s later`,
  };
  return { key: keys.journal(f.fencedAt, '', 0, `host-fenced-${f.hostId}`), value: JSON.stringify(entry) };
}
