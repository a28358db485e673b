/**
 * A throw-away certificate authority for a TLS test of etcd: a CA, a server certificate for 127.0.0.1 and a
 * client certificate, all signed by it, as PEM files in `dir` (made with openssl by helpers/certs.ts).
 */
import { makeCa, makeSignedCert } from './certs.js';

export interface TestCerts {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

export function makeTestCerts(dir: string): TestCerts {
  const ca = makeCa(dir, 'paz-test-ca');
  const server = makeSignedCert(ca, 'server', { ips: ['127.0.0.1'], usage: 'serverAuth,clientAuth' });
  const client = makeSignedCert(ca, 'client', { usage: 'clientAuth' });
  return { ca: ca.certFile, serverCert: server.certFile, serverKey: server.keyFile, clientCert: client.certFile, clientKey: client.keyFile };
}
