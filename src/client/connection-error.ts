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

export function connectionErrorMessage(url: string, err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const reason = cause?.message ?? (err as Error)?.message ?? String(err);
  const origin = new URL(url).origin;
  if (cause?.code && UNTRUSTED.has(cause.code)) {
    return `cannot reach ${origin}: ${reason}; the server's certificate is not signed by a CA Node trusts: set NODE_EXTRA_CA_CERTS=/path/to/ca.pem (the CA that signed --tls-cert)`;
  }
  if (cause?.code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `cannot reach ${origin}: ${reason}; use a PAZ_URL host name or address the server's certificate names`;
  }
  return `cannot reach ${origin}: ${reason}`;
}
