/**
 * What the CLI says when it cannot talk to Paz at all: fetch only says "fetch failed", the reason is in
 * its `cause`. An HTTPS server whose certificate Node does not trust gets a hint on how to trust it.
 */

/** OpenSSL's verification failures, as Node reports them in `err.code`. */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/** Nothing listens there, or the name or address leads nowhere: Paz is not running where PAZ_URL points. */
const NOT_THERE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNRESET']);

/** A connection error as fetch reports it (the reason in `cause`) or as node:http does (on the error itself). */
export function isConnectionError(err: unknown): boolean {
  const e = err as { name?: string; code?: string; cause?: unknown };
  return e?.name === 'TypeError' || (typeof e?.code === 'string' && (NOT_THERE.has(e.code) || UNTRUSTED.has(e.code)));
}

/** `pointAt`: the setting that says where this server is (the scheduler has its own) */
export function connectionErrorMessage(url: string, err: unknown, pointAt = 'PAZ_URL (or --url)'): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const cause = e?.cause ?? (typeof e?.code === 'string' ? e : undefined);
  const reason = cause?.message ?? (err as Error)?.message ?? String(err);
  const origin = new URL(url).origin;
  if (cause?.code && UNTRUSTED.has(cause.code)) {
    return `cannot reach ${origin}: ${reason}; the server's certificate is not signed by a CA Node trusts: set NODE_EXTRA_CA_CERTS=/path/to/ca.pem (the CA that signed --tls-cert)`;
  }
  if (cause?.code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `cannot reach ${origin}: ${reason}; use a PAZ_URL host name or address the server's certificate names`;
  }
  if (cause?.code && NOT_THERE.has(cause.code)) {
    return `cannot reach ${origin}: ${reason}; is Paz running? Start it with \`paz up\`, or point ${pointAt} at where it runs`;
  }
  return `cannot reach ${origin}: ${reason}`;
}
