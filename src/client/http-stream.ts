/**
 * A long-lived streamed body (follow logs, events, a command's output) with node:http. Not fetch: fetch's undici ends
 * a body that sends nothing for 300 s (its `bodyTimeout`), which cut `paz logs -f` on a quiet unit. Here
 * only the headers are bounded; once they arrived the stream stays open until either side closes it: no
 * agent (`agent: false`, so no agent socket timeout) and no socket timeout.
 */
import { request, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface StreamOptions {
  /** the server must send its headers within this bound (default 10 s) */
  headersTimeoutMs?: number;
  /** aborting closes the stream */
  signal?: AbortSignal;
  /** request headers: the API token (PazClient.authHeaders()), the cluster token the orchestrator shows an agent */
  headers?: Record<string, string>;
  /** a JSON body, sent with POST (`paz exec`'s command); without one the request is a GET */
  json?: unknown;
}

export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;

/** Resolves with the response (status, headers, body stream) once its headers arrived. */
export function openStream(url: string, opts: StreamOptions = {}): Promise<IncomingMessage> {
  const u = new URL(url);
  const send = u.protocol === 'https:' ? httpsRequest : request;
  return new Promise((resolve, reject) => {
    const body = opts.json === undefined ? undefined : JSON.stringify(opts.json);
    const headers = body === undefined ? (opts.headers ?? {}) : { ...opts.headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
    const req = send(u, { method: body === undefined ? 'GET' : 'POST', agent: false, headers, ...(opts.signal ? { signal: opts.signal } : {}) });
    const bound = opts.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
    // it listens but does not answer: busy, or hung (a server that is not there fails at once instead)
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`${u.origin} took the request but sent no answer within ${bound / 1000} s`), { code: 'ETIMEDOUT' })), bound);
    req.once('response', (res) => {
      clearTimeout(timer);
      resolve(res);
    });
    req.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}

/** Reads a whole (error) body as text. */
export async function readText(res: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of res) text += String(chunk);
  return text;
}
