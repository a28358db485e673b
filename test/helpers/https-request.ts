/**
 * One HTTPS request with node:https, trusting a test CA, with an optional SNI name and Host header while
 * the connection goes to the URL's address (127.0.0.1): what a browser would send for `hello.example.test`
 * without any DNS. Answers with the certificate the server presented.
 */
import { request } from 'node:https';
import type { PeerCertificate, TLSSocket } from 'node:tls';

export interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** the server's certificate as presented in this connection */
  peer: PeerCertificate;
}

export interface HttpsRequestOptions {
  ca: string;
  method?: string;
  /** SNI and Host header; default the URL's host */
  servername?: string;
  body?: unknown;
  timeoutMs?: number;
}

export function httpsRequest(url: string, opts: HttpsRequestOptions): Promise<HttpsAnswer> {
  const u = new URL(url);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method: opts.method ?? 'GET',
        ca: opts.ca,
        agent: false,
        ...(opts.servername ? { servername: opts.servername } : {}),
        headers: {
          ...(opts.servername ? { host: opts.servername } : {}),
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        timeout: opts.timeoutMs ?? 10_000,
      },
      (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate();
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, peer }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within ${opts.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
