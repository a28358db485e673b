/**
 * What every Paz HTTP server (the Fastify ones of http-app.ts and the agent's plain node:http one) shares
 * without loading Fastify: request timeouts and the request id.
 */
import { randomInt } from 'node:crypto';

/**
 * How long a client may take to send a request (headers and body); slower senders (a body that never
 * completes, headers that trickle) get a 408 and their connection closed. Only receiving the request is
 * bounded: a long answer (GET /events, a followed log) is not cut. PAZ_HTTP_REQUEST_TIMEOUT_MS sets it.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export function httpTimeouts(env: NodeJS.ProcessEnv = process.env): { requestTimeout: number; headersTimeout: number; connectionsCheckingInterval: number } {
  const n = Number(env.PAZ_HTTP_REQUEST_TIMEOUT_MS);
  const requestTimeout = Number.isSafeInteger(n) && n > 0 ? n : DEFAULT_REQUEST_TIMEOUT_MS;
  // Node checks the bounds every connectionsCheckingInterval (30 s by default, as long as the bound itself)
  return { requestTimeout, headersTimeout: Math.min(requestTimeout, 20_000), connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(requestTimeout / 10))) };
}

/** Paz's request id: a random integer below 1e9 in base 36. */
export function requestId(): string {
  return randomInt(0, 1e9).toString(36);
}

