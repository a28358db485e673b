/**
 * A registry behind a token service, on loopback, for digest lookups: a manifest HEAD without the token gets
 * 401 with a Bearer challenge naming the realm, as Docker Hub and GHCR answer. Real token services (and their
 * private images) are not reachable from tests; docker-registry itself speaks only Basic (htpasswd).
 */
import { createServer } from 'node:http';
import { freePort } from './env.js';

export interface TokenRegistryOptions {
  /** manifest path -> the digest it answers with, e.g. `/v2/team/app/manifests/stable` */
  manifests: Record<string, string>;
  /** the token the realm hands out and the manifests want */
  token: string;
  /** the Authorization the realm wants before it hands out a token (a login); none: anonymous tokens */
  tokenAuthorization?: string;
  service: string;
  scope: string;
}

export interface TokenRegistry {
  /** 127.0.0.1:port */
  host: string;
  /** every request: `METHOD url authorization-or-dash` */
  seen: string[];
  close(): Promise<void>;
}

export async function startTokenRegistry(o: TokenRegistryOptions): Promise<TokenRegistry> {
  const port = await freePort();
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? '-'}`);
    if (req.url?.startsWith('/token?')) {
      if (o.tokenAuthorization !== undefined && req.headers.authorization !== o.tokenAuthorization) {
        res.statusCode = 401;
        return res.end();
      }
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ token: o.token }));
    }
    if (req.headers.authorization !== `Bearer ${o.token}`) {
      res.statusCode = 401;
      res.setHeader('www-authenticate', `Bearer realm="http://127.0.0.1:${port}/token",service="${o.service}",scope="${o.scope}"`);
      return res.end();
    }
    const digest = req.url ? o.manifests[req.url] : undefined;
    if (digest) res.setHeader('docker-content-digest', digest);
    else res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { host: `127.0.0.1:${port}`, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}
