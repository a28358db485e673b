/**
 * What every Paz HTTP server shares: Paz's `x-api-uuid` / `x-api-version` headers, JSON answers with the
 * exact `application/json` content type Paz's clients compare against, lenient JSON body parsing (curl -d
 * without a content type works), strict validation, and one error shape from the catalogue. No input
 * can produce a 500: anything unexpected is logged and answered as PAZ_INTERNAL.
 */
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import { LeaseNotFoundError, StoreFullError, StoreLimitError, StoreUnavailableError } from '../store/store.js';
import { SecretKeyError } from '../core/secret-box.js';
import { redactSecrets } from '../core/secret-env.js';
import { PazError, errorBody } from '../core/errors.js';
import { redactUrl } from '../core/webhook-proof.js';
import { validatorCompiler, describeValidationError } from './validation.js';
import { PAZ_VERSION } from '../version.js';
import { registerMetrics } from './metrics.js';
import { registerAuth, type ApiAuth } from './auth.js';
import { httpTimeouts, requestId } from './http-timeouts.js';
import { endLongLived, registerLongLived } from './long-lived.js';
import { onClientError } from './client-error.js';
import { closeInStagesAfterAnswer, isClosingInStages } from './lingering-close.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** the request body exactly as received (undefined when there was none) */
    rawBody?: string;
  }
}

export const BODY_LIMIT_BYTES = 1024 * 1024;

export { DEFAULT_REQUEST_TIMEOUT_MS, httpTimeouts, requestId } from './http-timeouts.js';

export interface AppOptions {
  /** component name for logs, e.g. paz-orchestrator */
  component: string;
  /** a pino logger; none: no request logging */
  logger?: FastifyBaseLogger;
  /** whether the role is fully up (e.g. announced); /health answers 503 until then */
  ready?: () => boolean;
  /** serve HTTPS with this certificate and key (PEM); none: plain HTTP */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** the API token check (auth.ts): a verifier, or 'off' (--no-auth; /health says so); none: the agent, whose routes are 'cluster' */
  auth?: ApiAuth;
}

/** The catalogue's error for whatever a route or hook threw; anything unforeseen is INTERNAL (a 500, logged). */
export function toPazError(err: FastifyError & { validation?: unknown[]; validationContext?: string }): PazError {
  if (err instanceof PazError) return err;
  // chunked writes keep every write within the store's limits; one record alone can still be too big
  if ((err as unknown) instanceof StoreLimitError) {
    // the store's own limits are below what Paz writes to: no smaller request helps, its operator must raise them
    if ((err as unknown as StoreLimitError).refusedByStore) return new PazError('STORE_UNAVAILABLE', err.message);
    return new PazError('BODY_TOO_LARGE', `${err.message}; one record of this request is larger than the store takes in one write: make the service's config (env, command) smaller`);
  }
  // a server given another secrets key than the one that sealed a stored secret: an operator's fix, not the caller's
  if ((err as unknown) instanceof SecretKeyError) {
    return new PazError('SECRETS_KEY_MISMATCH', `this server cannot open a stored secret (${err.message})`);
  }
  // the store's disk or space quota is used up: nothing was written, and no retry helps until its operator acts
  if ((err as unknown) instanceof StoreFullError) {
    return new PazError('STORE_FULL', `${err.message}. Nothing of this request was written (reads still work): retry once the store has room`);
  }
  // etcd without quorum on this side of a partition, or unreachable: nothing was acknowledged, try again or elsewhere
  if ((err as unknown) instanceof StoreUnavailableError) {
    return new PazError('STORE_UNAVAILABLE', `this server cannot reach the store's quorum (${err.message}); the request was not acknowledged (a write whose answer was lost may still have been made): retry, or use another server`);
  }
  // a lease the request took (a service's write lock) ran out before the store answered its write: the store was
  // unreachable or slower than the lease; the write it guarded was refused by etcd, so nothing was made
  if ((err as unknown) instanceof LeaseNotFoundError) {
    return new PazError('STORE_UNAVAILABLE', `the store answered too late: ${err.message}; nothing was written: retry, or use another server`);
  }
  if (err.validation && Array.isArray(err.validation) && err.validation.length > 0) {
    const first = err.validation[0] as Parameters<typeof describeValidationError>[0];
    return new PazError('VALIDATION', describeValidationError(first, err.validationContext ?? 'body'));
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PazError('BODY_TOO_LARGE', `the request body is larger than ${BODY_LIMIT_BYTES} bytes: send a smaller document`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new PazError('BAD_JSON', 'the request body is empty: send a JSON document');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new PazError('UNSUPPORTED_MEDIA_TYPE', 'unsupported Content-Type: send application/json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new PazError('BAD_JSON', 'the Content-Length header does not match the body');
  }
  if (err.statusCode === 400 || err instanceof SyntaxError) {
    return new PazError('BAD_JSON', `the request body is not valid JSON (${err.message}): send a JSON document with Content-Type: application/json`);
  }
  if (err.statusCode === 413) return new PazError('BODY_TOO_LARGE', `the request body is larger than ${BODY_LIMIT_BYTES} bytes`);
  if (err.statusCode === 415) return new PazError('UNSUPPORTED_MEDIA_TYPE', 'unsupported Content-Type: send application/json');
  return new PazError('INTERNAL', 'internal error; the server log has the details (search for this answer\'s x-api-uuid)');
}

/** What fastify's request log lines show of a request (its own fields), with secrets in the URL (`?token=`) redacted. */
function loggedRequest(req: FastifyRequest): Record<string, unknown> {
  return { method: req.method, url: redactUrl(req.url), host: req.host, remoteAddress: req.ip, remotePort: req.socket?.remotePort };
}

export function createApp(opts: AppOptions): FastifyInstance {
  const timeouts = httpTimeouts();
  const app = Fastify({
    requestTimeout: timeouts.requestTimeout,
    http: timeouts,
    ...(opts.logger ? { loggerInstance: opts.logger.child({}, { serializers: { req: loggedRequest } }) } : { logger: false }),
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: requestId,
    requestIdHeader: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // answers what Node's HTTP parser refuses with Connection: close (client-error.ts says why)
    clientErrorHandler: onClientError,
    // fastify types the server by its options; HTTPS changes nothing Paz uses of it
    ...((opts.tls ? { https: opts.tls } : {}) as object),
  });
  app.setValidatorCompiler(validatorCompiler);

  // Any content type is read as JSON: Docker Hub, registries and `curl -d` all send JSON with other labels.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    const text = String(body);
    // the exact body as sent, for checks that must not see it re-serialized (webhook HMAC signatures)
    req.rawBody = text;
    if (text.trim() === '') return done(null, undefined);
    try {
      // as fastify's own parser: `__proto__` and `constructor.prototype` keys are refused, not merged into objects
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (e) {
      const poisoned = /forbidden prototype property/.test((e as Error).message);
      done(
        poisoned
          ? new PazError('BAD_JSON', 'the request body has a "__proto__" or "constructor.prototype" key: Paz refuses these keys (prototype poisoning); remove or rename them')
          : new PazError('BAD_JSON', `the request body is not valid JSON (${(e as Error).message}): send a JSON document`),
        undefined,
      );
    }
  });

  app.addHook('onRequest', async (req, reply) => {
    // a request pipelined behind one whose answer closed the connection is not served (lingering-close.ts)
    if (isClosingInStages(req.raw.socket)) {
      reply.hijack();
      return;
    }
    reply.header('x-api-uuid', req.id);
    reply.header('x-api-version', PAZ_VERSION);
  });
  registerAuth(app, opts.auth);

  // Stored secrets leave every server as {secret, fingerprint}, whichever route read them (secret-env.ts).
  app.addHook('preSerialization', async (_req, _reply, payload) => redactSecrets(payload));

  // Paz's clients compare the content type to the exact string `application/json`.
  app.addHook('onSend', async (req, reply, payload) => {
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('application/json')) reply.header('content-type', 'application/json');
    // fastify closes the connection after refusing a body for its size, before the client finished sending it
    if (reply.getHeader('connection') === 'close') closeInStagesAfterAnswer(req.raw);
    return payload;
  });

  app.setErrorHandler((error: FastifyError, req, reply) => {
    const err = toPazError(error);
    if (err.code === 'INTERNAL') req.log.error({ err: error, uuid: req.id }, 'unexpected error');
    void reply.status(err.statusCode).send(errorBody(err));
  });

  app.setNotFoundHandler((req, reply) => {
    const err = new PazError('ROUTE_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]} on ${opts.component}: see /docs on the orchestrator for the API`);
    void reply.status(404).send(errorBody(err));
  });

  registerMetrics(app, opts.component);
  app.addHook('preClose', (done) => {
    endLongLived(app.server);
    done();
  });
  app.get('/health', { schema: { hide: true } as Record<string, unknown>, config: { access: 'public' } }, async (_req, reply) => {
    const ready = opts.ready?.() ?? true;
    return reply
      .status(ready ? 200 : 503)
      .send({ healthy: ready, component: opts.component, version: PAZ_VERSION, ...(ready ? {} : { starting: true }), ...(opts.auth === 'off' ? { auth: 'off' } : {}) });
  });
  return app;
}

/**
 * Streams text to the client with the headers sent at once: Node sends headers only with the first body
 * byte, and a followed log may stay silent for a long time, so the caller would see nothing (or time out).
 * Ends when the app closes, or when the token it was opened with is revoked (long-lived.ts).
 */
export function streamText(reply: FastifyReply, body: NodeJS.ReadableStream & { destroy(): void }, extraHeaders: Record<string, string> = {}): FastifyReply {
  reply.hijack();
  const headers = { ...(reply.getHeaders() as Record<string, string>), 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache', ...extraHeaders };
  reply.raw.writeHead(200, headers);
  reply.raw.flushHeaders();
  registerLongLived(reply, () => {
    body.destroy();
    reply.raw.end();
  });
  reply.raw.once('close', () => body.destroy());
  body.on('error', () => reply.raw.destroy());
  body.pipe(reply.raw);
  return reply;
}
