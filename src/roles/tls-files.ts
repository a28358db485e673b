/**
 * Reads and checks the certificate files Paz serves TLS from, before anything listens: the APIs' pair
 * (--tls-cert/--tls-key) and the router's directory (--router-tls-dir, one PEM per domain holding the
 * certificate and its key, as HAProxy's `crt <dir>` loads them). A file that is missing, unreadable, not
 * PEM, or whose key does not belong to its certificate stops the start with a message naming the file.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { certificateHostNames, type CertificateNames } from '../core/tls-names.js';
import { fileErrorWords } from '../core/file-errors.js';

export interface TlsPair {
  cert: Buffer;
  key: Buffer;
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`cannot read ${what} ${path}: ${fileErrorWords(err)}`);
  }
}

function certificateOf(pem: Buffer, path: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new Error(`${what} ${path} holds no PEM certificate (${(err as Error).message}): give a file starting with -----BEGIN CERTIFICATE-----`);
  }
}

function privateKeyOf(pem: Buffer, path: string, what: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new Error(`${what} ${path} holds no unencrypted PEM private key (${(err as Error).message}): give a file with -----BEGIN PRIVATE KEY----- (no passphrase)`);
  }
}

function assertKeyMatches(cert: X509Certificate, key: KeyObject, message: string): void {
  if (!cert.checkPrivateKey(key)) throw new Error(message);
}

/** The APIs' certificate and key, checked to be PEM and to belong together. */
export function loadTlsPair(certPath: string, keyPath: string): TlsPair {
  const cert = readPem(certPath, '--tls-cert');
  const key = readPem(keyPath, '--tls-key');
  assertKeyMatches(
    certificateOf(cert, certPath, '--tls-cert'),
    privateKeyOf(key, keyPath, '--tls-key'),
    `the key ${keyPath} (--tls-key) does not belong to the certificate ${certPath} (--tls-cert): give the key the certificate was made for`,
  );
  return { cert, key };
}

/** HAProxy's `crt <dir>` skips these side files (keys, OCSP answers, issuers, SCTs of a certificate of the same name). */
const SIDE_FILE = /\.(key|ocsp|issuer|sctl)$/;

/** Every certificate of the router's directory and the host names it is for; refuses an empty directory and bad files. */
export function readCertificateDir(dir: string): CertificateNames[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => !f.startsWith('.') && !SIDE_FILE.test(f)).sort();
  } catch (err) {
    throw new Error(`cannot read --router-tls-dir ${dir}: ${fileErrorWords(err)}`);
  }
  const out: CertificateNames[] = [];
  for (const file of files) {
    const path = join(dir, file);
    if (!statSync(path).isFile()) continue;
    const what = 'the router certificate';
    const pem = readPem(path, what);
    const cert = certificateOf(pem, path, what);
    assertKeyMatches(cert, privateKeyOf(pem, path, what), `${what} ${path} holds a key that does not belong to its certificate: put the certificate and its own key in one file`);
    const names = certificateHostNames(cert.subjectAltName, cert.subject);
    if (names.length === 0) throw new Error(`${what} ${path} names no host (no DNS subject alternative name, no common name)`);
    out.push({ file, names });
  }
  if (out.length === 0) throw new Error(`--router-tls-dir ${dir} holds no certificate: put one PEM file per domain in it (certificate and key), e.g. example.com.pem`);
  return out;
}
