/** One unit's log stream from the orchestrator, for `paz logs UNIT` and `paz logs SERVICE`; other streams of the API (`paz exec`). */
import type { IncomingMessage } from 'node:http';
import { openStream, readText, type StreamOptions } from '../client/http-stream.js';
import { connectionErrorMessage, isConnectionError } from '../client/connection-error.js';
import { PazApiError, type PazClient } from '../client/paz-client.js';
import { unitLogSearch, type UnitLogQuery } from '../client/service-log-follower.js';

/**
 * Opens a unit's log stream; an answer other than 200 fails with the API's message (and how to authenticate, for
 * a 401). node:http, not fetch: `-f` on a quiet unit must not end after fetch's 300 s body timeout.
 */
export async function openUnitLogs(client: PazClient, service: string, unit: string, q: UnitLogQuery): Promise<IncomingMessage> {
  const query = unitLogSearch(q);
  return openApiStream(client, `${client.url}/services/${encodeURIComponent(service)}/units/${encodeURIComponent(unit)}/logs?${query}`);
}

/**
 * Opens a streamed answer of the API (a log, a command's output) with the client's token: Paz not answering is said
 * in CLI words with the URL, and an answer other than 200 fails with the API's message (how to authenticate, for a 401).
 */
export async function openApiStream(client: PazClient, url: string, opts: Omit<StreamOptions, 'headers'> = {}): Promise<IncomingMessage> {
  const res = await openStream(url, { ...opts, headers: client.authHeaders() }).catch((err: unknown) => {
    throw isConnectionError(err) ? new Error(connectionErrorMessage(url, err), { cause: err }) : err;
  });
  if (res.statusCode === 200) return res;
  const text = await readText(res);
  let body: { code?: string; message?: string } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // not JSON: the status says it
  }
  throw new PazApiError(res.statusCode ?? 0, body.code ?? `HTTP_${res.statusCode}`, (body.message ?? `HTTP ${res.statusCode}`) + client.authHint(res.statusCode ?? 0), body);
}

/** A request Paz refused for good: not allowed (401, 403) or malformed (400); following again would not help. */
export function isRefusal(err: unknown): boolean {
  return err instanceof PazApiError && (err.status === 400 || err.status === 401 || err.status === 403);
}

/**
 * What a follower (`paz logs -f`) waits out and tries again instead of ending: Paz or the unit's agent not
 * answering for a while (a restart, an upgrade, a server too busy to send its answer's headers in time), a
 * stream cut in the middle. A 4xx (the unit is gone, a token refused) ends it.
 */
export function isPassingTrouble(err: unknown): boolean {
  if (err instanceof PazApiError) return err.status >= 500;
  // the client says a connection error in CLI words, the error itself in `cause`
  const e = err as { code?: string; message?: string; cause?: unknown };
  const cut = (x: { code?: string; message?: string } | undefined) => x?.code === 'ECONNRESET' || x?.code === 'ETIMEDOUT' || x?.message === 'aborted';
  return isConnectionError(err) || isConnectionError(e?.cause) || cut(e) || cut(e?.cause as { code?: string } | undefined);
}
