/** One unit's log stream from the orchestrator, for `paz logs UNIT` and `paz logs SERVICE`. */
import type { IncomingMessage } from 'node:http';
import { openStream, readText } from '../client/http-stream.js';
import { connectionErrorMessage, isConnectionError } from '../client/connection-error.js';
import type { PazClient } from '../client/paz-client.js';

export interface UnitLogQuery {
  follow?: boolean;
  tail?: string;
  /** unix seconds */
  since?: number;
}

/**
 * Opens a unit's log stream; an answer other than 200 fails with the API's message (and how to authenticate, for
 * a 401). node:http, not fetch: `-f` on a quiet unit must not end after fetch's 300 s body timeout.
 */
export async function openUnitLogs(client: PazClient, service: string, unit: string, q: UnitLogQuery): Promise<IncomingMessage> {
  const query = new URLSearchParams();
  if (q.follow) query.set('follow', 'true');
  if (q.tail !== undefined) query.set('tail', q.tail);
  if (q.since !== undefined) query.set('since', String(q.since));
  const url = `${client.url}/services/${encodeURIComponent(service)}/units/${encodeURIComponent(unit)}/logs?${query}`;
  const res = await openStream(url, { headers: client.authHeaders() }).catch((err: unknown) => {
    throw isConnectionError(err) ? new Error(connectionErrorMessage(url, err), { cause: err }) : err;
  });
  if (res.statusCode === 200) return res;
  const text = await readText(res);
  let message = `HTTP ${res.statusCode}`;
  try {
    message = (JSON.parse(text) as { message?: string }).message ?? message;
  } catch {
    // not JSON: keep the status
  }
  throw new Error(message + client.authHint(res.statusCode ?? 0));
}
