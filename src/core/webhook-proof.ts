/**
 * How a deploy hook call proves it knows the cluster's webhook secret (issue 9). Two kinds of proof:
 *
 * - a signature: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`, as GitHub sends it (also
 *   accepted as `X-Paz-Signature-256`). The body cannot be changed without the secret.
 * - the secret itself, for callers that cannot sign (Docker Hub, registry notifications): `?token=<secret>`
 *   in the URL, `Authorization: Bearer <secret>` or `X-Paz-Webhook-Token: <secret>`.
 *
 * A call is accepted when any proof it carries holds. Every comparison is constant-time.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes, base64url (43 characters): safe in a URL query and a header as it is. */
export const WEBHOOK_SECRET_BYTES = 32;

export const SIGNATURE_HEADERS = ['x-hub-signature-256', 'x-paz-signature-256'] as const;
export const TOKEN_HEADER = 'x-paz-webhook-token';
export const TOKEN_QUERY = 'token';

export type WebhookProof =
  | { kind: 'signature'; header: string; value: string }
  | { kind: 'token'; where: 'query' | 'authorization' | 'header'; value: string };

export function newWebhookSecret(): string {
  return randomBytes(WEBHOOK_SECRET_BYTES).toString('base64url');
}

/** The signature header's value for a body: `sha256=` and 64 lower-case hex digits. */
export function signBody(secret: string, rawBody: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

type HeaderValue = string | string[] | undefined;

function single(v: HeaderValue | unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/**
 * Every proof a request carries, read from its headers (lower-case names, as Node gives them) and its parsed
 * query. A header or query value given twice (an array) is no proof: which one was meant is unclear.
 */
export function proofsOf(headers: Record<string, HeaderValue>, query: Record<string, unknown> | undefined): WebhookProof[] {
  const proofs: WebhookProof[] = [];
  for (const header of SIGNATURE_HEADERS) {
    const value = single(headers[header]);
    if (value !== undefined) proofs.push({ kind: 'signature', header, value });
  }
  const fromQuery = single(query?.[TOKEN_QUERY]);
  if (fromQuery !== undefined) proofs.push({ kind: 'token', where: 'query', value: fromQuery });
  const bearer = /^Bearer +(\S+) *$/i.exec(single(headers.authorization) ?? '');
  if (bearer) proofs.push({ kind: 'token', where: 'authorization', value: bearer[1]! });
  const fromHeader = single(headers[TOKEN_HEADER]);
  if (fromHeader !== undefined) proofs.push({ kind: 'token', where: 'header', value: fromHeader });
  return proofs;
}

/** Equal strings, in time that does not depend on where they differ (both are hashed to the same length first). */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

export function proofHolds(secret: string, proof: WebhookProof, rawBody: string | Buffer): boolean {
  if (proof.kind === 'token') return sameSecret(secret, proof.value);
  // compared case-insensitively in the hex digits: some senders write upper case
  const given = /^sha256=([0-9a-fA-F]{64})$/.exec(proof.value.trim());
  if (!given) return false;
  return timingSafeEqual(Buffer.from(given[1]!.toLowerCase(), 'hex'), createHmac('sha256', secret).update(rawBody).digest());
}

/** Whether any of the request's proofs holds for the secret. */
export function provesSecret(secret: string, proofs: WebhookProof[], rawBody: string | Buffer): boolean {
  // every proof is checked (no early return), so the time taken does not say which one failed
  let ok = false;
  for (const p of proofs) if (proofHolds(secret, p, rawBody)) ok = true;
  return ok;
}

/** The 401 message: what was wrong, and how to sign. Never contains what the caller sent. */
export function unprovenMessage(proofs: WebhookProof[], secretExists = true): string {
  const what = !secretExists
    ? 'this cluster has no webhook secret yet, so no hook call can prove it (an admin makes one with `paz webhook secret`)'
    : proofs.length === 0
      ? 'this hook call carries no webhook secret'
      : `the webhook secret proof (${proofs.map(describe).join(', ')}) does not match the cluster's webhook secret`;
  return (
    `${what}: sign the exact request body with the secret (header X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>, as GitHub does), ` +
    `or send the secret as ?token=<secret>, Authorization: Bearer <secret> or X-Paz-Webhook-Token: <secret>. ` +
    `An admin sees the secret with \`paz webhook secret\` (GET /auth/webhook-secret on the orchestrator)`
  );
}

function describe(p: WebhookProof): string {
  if (p.kind === 'signature') return `header ${p.header}`;
  return p.where === 'query' ? '?token=' : p.where === 'authorization' ? 'Authorization: Bearer' : `header ${TOKEN_HEADER}`;
}

/**
 * A URL as it may be logged: the value of every `token` query parameter is replaced, however its name is
 * written (`TOKEN`, `%74oken`): the query parser decodes names, so any of them may carry the secret.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash === -1 ? undefined : hash);
  const parts = query.split('&').map((part) => {
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    return isTokenName(name) ? `${name}=[redacted]` : part;
  });
  return `${url.slice(0, q)}?${parts.join('&')}${hash === -1 ? '' : url.slice(hash)}`;
}

function isTokenName(name: string): boolean {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' ')).trim().toLowerCase() === TOKEN_QUERY;
  } catch {
    // not decodable: it could be anything, so it is not logged
    return true;
  }
}
