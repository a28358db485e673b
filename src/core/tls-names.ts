/**
 * Which certificate covers which host name, and which hosts the router sends from HTTP to HTTPS. Pure.
 *
 * Matching follows HAProxy's SNI choice for `bind ... ssl crt <dir>`: a certificate names hosts (its DNS
 * subject alternative names, or its common name when it has none); an exact name wins over a wildcard;
 * a wildcard `*.example.com` covers exactly one more label (`a.example.com`, not `example.com` nor
 * `a.b.example.com`).
 */

/** A certificate file of the router's TLS directory and the host names it is for. */
export interface CertificateNames {
  /** file name inside the directory */
  file: string;
  /** lower-case DNS names, possibly wildcards like `*.example.com` */
  names: string[];
}

/** The internal cluster domain: `<svc>.paz` is cluster-internal traffic and stays plain HTTP. */
export const INTERNAL_DOMAIN = 'paz';

export function isWildcard(name: string): boolean {
  return name.startsWith('*.');
}

/** Whether a certificate name (exact or `*.` wildcard) covers `host`; both compared case-insensitively. */
export function nameCovers(name: string, host: string): boolean {
  const n = name.toLowerCase();
  const h = host.toLowerCase();
  if (!isWildcard(n)) return n === h;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === n.slice(2);
}

/** The file of the certificate HAProxy presents for SNI `host`: an exact name first, else a wildcard; undefined when none covers it. */
export function certificateFor(host: string, certificates: CertificateNames[]): string | undefined {
  const exact = certificates.find((c) => c.names.some((n) => !isWildcard(n) && nameCovers(n, host)));
  if (exact) return exact.file;
  return certificates.find((c) => c.names.some((n) => isWildcard(n) && nameCovers(n, host)))?.file;
}

/**
 * The hosts whose plain-HTTP requests are redirected to HTTPS: `<svc>.<domain>` of every public-facing
 * service when a certificate covers it. `<svc>.paz` never is (internal traffic), nor is a host without a
 * certificate (a redirect there would end in a certificate error). Sorted, without duplicates.
 */
export function redirectedHosts(services: Array<{ service: string; publicFacing?: boolean }>, domain: string, certificates: CertificateNames[]): string[] {
  if (domain === INTERNAL_DOMAIN) return [];
  const hosts = services.filter((s) => s.publicFacing !== false).map((s) => `${s.service}.${domain}`);
  return [...new Set(hosts.filter((h) => certificateFor(h, certificates) !== undefined))].sort();
}

/**
 * The host names a certificate is for, from node:crypto's X509Certificate `subjectAltName`
 * (`DNS:a.example.com, IP Address:10.0.0.1`) and `subject` (`CN=...` lines): the DNS names, or the
 * common name when there are none (as HAProxy does), lower case.
 */
export function certificateHostNames(subjectAltName: string | undefined, subject: string): string[] {
  const dns = (subjectAltName ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('DNS:'))
    .map((part) => part.slice(4).toLowerCase());
  if (dns.length > 0) return [...new Set(dns)];
  const cn = subject.split('\n').find((line) => line.startsWith('CN='));
  return cn ? [cn.slice(3).toLowerCase()] : [];
}
