/**
 * What the dashboard's log panels do when a followed log stream stops: follow again by themselves when the stream
 * broke for a passing reason (Paz restarting for an upgrade, an agent not answering for a moment: the CLI's `paz
 * logs -f` waits these out too), or stop and say why (the unit stopped, the service was deleted, the request was
 * refused). Pure; log-panel.tsx does the I/O.
 */

/** How a followed stream stopped. */
export type StreamStop =
  /** the connection failed or broke off */
  | { kind: 'broke'; message: string }
  /** the server answered with an error instead of the stream */
  | { kind: 'refused'; status: number; message: string }
  /** the stream ended cleanly; its last line, if any */
  | { kind: 'ended'; lastLine?: string };

export interface StopDecision {
  /** follow again (after a backoff delay) */
  again: boolean;
  /** what the panel says */
  why: string;
}

/**
 * What a service's log stream (GET /services/:name/logs?follow=true) stopping means. It ends by itself only when the
 * service is deleted (its last line says so); any other clean end is the control plane going away (a restart).
 */
export function afterServiceStream(stop: StreamStop): StopDecision {
  if (stop.kind === 'ended') {
    if (stop.lastLine !== undefined && /^--- .* was deleted ---$/.test(stop.lastLine)) return { again: false, why: 'the service was deleted' };
    return { again: true, why: 'the log stream ended (Paz restarting?)' };
  }
  return common(stop);
}

/**
 * What a unit's log stream stopping means: a clean end is the unit's process ending (it stopped or restarted; the
 * page follows its next start when the unit's start changes), anything else as for a service.
 */
export function afterUnitStream(stop: StreamStop): StopDecision {
  if (stop.kind === 'ended') return { again: false, why: 'the log stream ended (the unit stopped or restarted)' };
  return common(stop);
}

function common(stop: Exclude<StreamStop, { kind: 'ended' }>): StopDecision {
  if (stop.kind === 'broke') return { again: true, why: `the log stream broke: ${stop.message}` };
  // 5xx: the control plane could not reach the unit's agent (AGENT_UNREACHABLE) or is unwell; 4xx is for good
  // (the unit or service is gone, the token was revoked)
  return { again: stop.status >= 500, why: stop.message };
}
