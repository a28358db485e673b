/**
 * Live events as the app sees them, and which ones a page cares about. Pure: pages pass these filters to
 * useLiveResource, which reloads when a relevant event arrives.
 */
import { isNewer } from './follow.js';

/** One event of GET /events (src/core/events.ts): its type, its data, and its id (the store revision). */
export interface LiveEvent {
  event: string;
  data: unknown;
  revision?: number;
}

/** A parsed SSE frame ({id, event, data} as sent) as a LiveEvent; frames without an event type are not events. */
export function toLiveEvent(frame: Record<string, string>): LiveEvent | undefined {
  if (!frame.event) return undefined;
  let data: unknown = frame.data;
  try {
    data = frame.data === undefined ? undefined : JSON.parse(frame.data);
  } catch {
    /* data that is not JSON stays text */
  }
  const revision = frame.id !== undefined && /^[0-9]+$/.test(frame.id) ? Number(frame.id) : undefined;
  return { event: frame.event, data, revision };
}

/** Services, their configs, their units' placement and state, and deploy progress (journal). */
export function affectsServices(e: LiveEvent): boolean {
  return e.event.startsWith('service.') || e.event.startsWith('unit.') || e.event === 'journal';
}

/** Hosts joining or leaving, and units (their placement and state). */
export function affectsCluster(e: LiveEvent): boolean {
  return e.event.startsWith('host.') || e.event.startsWith('unit.');
}

/** Whether an event is newer than a read made at `revision` (unknown revisions count as newer). */
export function newerThan(e: LiveEvent, revision: number | undefined): boolean {
  return isNewer(e.revision, revision);
}
