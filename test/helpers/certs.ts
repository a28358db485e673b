/**
 * Certificates for TLS tests, made by the real `openssl`: a test CA and server certificates it signs,
 * for DNS names (wildcards allowed) and IP addresses.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCa {
  dir: string;
  certFile: string;
  keyFile: string;
  /** the CA certificate (PEM), for `ca:` options and NODE_EXTRA_CA_CERTS */
  pem: string;
}

export interface ServerCert {
  certFile: string;
  keyFile: string;
  /** certificate then key in one file, as HAProxy's `crt` loads it */
  bundleFile: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function makeCa(dir: string, name = 'Paz Test CA'): TestCa {
  const certFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'ca.key');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', keyFile, '-out', certFile], dir);
  return { dir, certFile, keyFile, pem: readFileSync(certFile, 'utf8') };
}

/** A server certificate signed by `ca`; the common name is the first DNS name. `base` names the files (base.pem, base.key, base.bundle.pem). */
export function makeServerCert(ca: TestCa, base: string, names: { dns: string[]; ips?: string[] }): ServerCert {
  return makeSignedCert(ca, base, { ...names, usage: 'serverAuth' });
}

/**
 * A certificate signed by `ca` for what `usage` says (extendedKeyUsage: serverAuth, clientAuth or both);
 * the common name is the first DNS name, else the first IP, else `base`.
 */
export function makeSignedCert(ca: TestCa, base: string, opts: { dns?: string[]; ips?: string[]; usage: string }): ServerCert {
  const dir = ca.dir;
  const keyFile = join(dir, `${base}.key`);
  const csr = join(dir, `${base}.csr`);
  const certFile = join(dir, `${base}.pem`);
  const ext = join(dir, `${base}.ext`);
  const dns = opts.dns ?? [];
  const ips = opts.ips ?? [];
  const san = [...dns.map((d) => `DNS:${d}`), ...ips.map((ip) => `IP:${ip}`)].join(',');
  writeFileSync(ext, `${san ? `subjectAltName=${san}\n` : ''}extendedKeyUsage=${opts.usage}\n`);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${dns[0] ?? ips[0] ?? base}`, '-keyout', keyFile, '-out', csr], dir);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', certFile], dir);
  const bundleFile = join(dir, `${base}.bundle.pem`);
  writeFileSync(bundleFile, readFileSync(certFile, 'utf8') + readFileSync(keyFile, 'utf8'));
  return { certFile, keyFile, bundleFile };
}
