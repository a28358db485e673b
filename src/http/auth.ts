/**
 * The API token check every Paz API server runs (issue 9), from each route's access level (access.ts):
 * `public` routes are open; `hook` routes check their webhook secret themselves (a valid API token still
 * names the caller, in `req.auth`); `cluster` routes belong to the agent API and its cluster token; every
 * other route needs `Authorization: Bearer <token>` of a role allowed for its level: 401 without a valid
 * token, 403 when the role is too low. The caller's token name becomes `req.actor`, which the handlers
 * record in the journal ("anonymous" with --no-auth). A long-lived answer (events, a followed log) has its token
 * checked again while it is open, and ends once the token is revoked.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PazError } from '../core/errors.js';
import { bearerToken, rolesAllowed, roleAllows, type Identity, type TokenVerifier } from '../core/tokens.js';
import { accessOf } from './access.js';
import { guardLongLived } from './long-lived.js';

/**
 * how often the token of an open stream (events, a followed log) is checked again: a revoked token's streams end
 * within about this plus the token cache's second (state/tokens.ts), on every server
 */
export const STREAM_RECHECK_MS = 1000;

/** A server's auth: a token verifier, or 'off' (the loopback-only --no-auth switch). */
export type ApiAuth = TokenVerifier | 'off';

export const ANONYMOUS = 'anonymous';

declare module 'fastify' {
  interface FastifyRequest {
    /** who is asking, for the journal: the token's name, or "anonymous" when auth is off */
    actor: string;
    /** the caller's valid API token, when it sent one */
    auth: Identity | undefined;
  }
}

export const HOW_TO_GET_A_TOKEN =
  'send "Authorization: Bearer <token>". The admin token made at first start is in DATA_DIR/admin-token (default ~/.paz/admin-token; the paz CLI sends it, or PAZ_TOKEN, by itself); an admin makes others with `paz token create NAME --role admin|deployer|read-only`';

/** Adds `req.actor` / `req.auth` to every request, and the token check when auth is on. */
export function registerAuth(app: FastifyInstance, auth: ApiAuth | undefined): void {
  app.decorateRequest('actor', ANONYMOUS);
  app.decorateRequest('auth', undefined);
  if (auth === undefined || auth === 'off') return;
  guardLongLived(app.server, recheckToken(auth));
  // onRequest: refused before the body is even read
  app.addHook('onRequest', async (req) => {
    const access = accessOf(req.method, req.routeOptions.config?.access);
    if (access === 'public' || access === 'cluster') return;
    const identity = await identify(auth, req);
    if (identity) {
      req.auth = identity;
      req.actor = identity.name;
    }
    if (access === 'hook') return;
    if (!identity) {
      const sent = req.headers.authorization !== undefined;
      throw new PazError('UNAUTHENTICATED', `${sent ? 'the token sent is not valid (mistyped, revoked, or not a Paz API token)' : 'this request needs an API token'}: ${HOW_TO_GET_A_TOKEN}`);
    }
    if (!roleAllows(identity.role, access)) {
      const allowed = rolesAllowed(access);
      throw new PazError(
        'FORBIDDEN',
        `token "${identity.name}" has the role ${identity.role}; ${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]} needs the role ${allowed.join(' or ')}: ask an admin for such a token (paz token create NAME --role ${allowed[0]})`,
        { role: identity.role, needs: allowed },
      );
    }
  });
}

/**
 * Ends a long-lived answer once the token it was opened with is no longer valid. A check the store cannot answer
 * leaves the stream open: a token is refused only when it is known to be gone.
 */
function recheckToken(auth: TokenVerifier) {
  return (req: FastifyRequest, end: () => void): (() => void) | undefined => {
    const token = bearerToken(req.headers.authorization);
    if (token === undefined || req.auth === undefined) return undefined;
    let checking = false;
    const timer = setInterval(() => {
      if (checking) return;
      checking = true;
      auth.verify(token).then(
        (identity) => {
          if (!identity) end();
        },
        () => undefined,
      ).finally(() => (checking = false));
    }, STREAM_RECHECK_MS);
    timer.unref();
    return () => clearInterval(timer);
  };
}

async function identify(auth: TokenVerifier, req: FastifyRequest): Promise<Identity | undefined> {
  const token = bearerToken(req.headers.authorization);
  return token === undefined ? undefined : auth.verify(token);
}
