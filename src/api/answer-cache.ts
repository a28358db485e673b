/**
 * The serialized answers of one GET route, kept until what they were made from changes: 64 clients
 * asking for 1,000 units get the same bytes, made once per change of the units, not once per request.
 *
 * An answer that is a function of the store alone is kept with the revision of the last change under its
 * prefixes (StoreSnapshot.changedAt) and reused while that is still the last change; the reply names the
 * snapshot's own revision, at which the kept answer is still exactly the store. Kept per URL (path and
 * query), a few URLs per route.
 *
 * An answer that also depends on the clock (`clock: true`: a host's `healthy` turns false when its
 * heartbeat grows old, with no write at all) cannot be reused on the store's word: it is made again for each
 * request (the requests that arrive while it is being made share it), and kept by its bytes: when they are
 * the bytes kept before, the kept answer goes out again, with its tag and its compressed forms. So a tag
 * always names exactly the bytes sent, and a poller gets 304s for as long as nothing it can see changed.
 *
 * Each kept answer is also served as HTTP serves a big, often-polled document (http/content-coding.ts):
 * with a strong ETag (a client sending it back in If-None-Match gets a 304 and no body), and compressed
 * (br or gzip, as the client's Accept-Encoding allows) once per answer on first demand, never per
 * request. `Cache-Control: no-cache` makes browser caches ask again every time, so nobody sees an old
 * answer: a cache may keep the body, but only a 304 lets it use it. An answer that is new at every request
 * (`tagged: false`: health, which says when it was checked) is only compressed: a tag that can never match
 * again would cost a hash per request and promise a 304 that never comes.
 *
 * keptAnswerSchema() documents all this in the route's OpenAPI schema (request headers, response headers,
 * the 304), from the same options.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { redactSecrets } from '../core/secret-env.js';
import { Type, type TSchema } from '@sinclair/typebox';
import { chooseCoding, compress, COMPRESS_MIN_BYTES, etagFor, noneMatchHolds, strongEtag, type Compression } from '../http/content-coding.js';
import { REVISION_HEADER, revisionHeader, snapshotFor, viewsOn, type ReadViews } from './read-at.js';
import type { ApiContext } from './context.js';

interface Kept {
  changedAt: number;
  body: Buffer;
  /** undefined: sent without a tag (answers that are new at every request) */
  etag: string | undefined;
  /** the body compressed, made on the first request that takes each coding */
  compressed: Partial<Record<Compression, Promise<Buffer>>>;
}

/** Makes a kept answer of serialized bytes: its ETag now (unless untagged), its compressed forms when first asked for. */
export function keep(changedAt: number, body: Buffer, tagged = true): Kept {
  return { changedAt, body, etag: tagged ? strongEtag(body) : undefined, compressed: {} };
}

/**
 * Sends a kept answer as `req` asks for it: 304 when If-None-Match names its tag, else the body in the best
 * coding the client accepts (identity below COMPRESS_MIN_BYTES). A compression that fails (it should not)
 * sends the identity body, never an error.
 */
export async function sendKept(req: FastifyRequest, reply: FastifyReply, kept: Kept): Promise<FastifyReply> {
  const compressible = kept.body.length >= COMPRESS_MIN_BYTES;
  const coding = compressible ? chooseCoding(req.headers['accept-encoding']) : 'identity';
  // every representation depends on Accept-Encoding once compression is possible, identity too
  if (compressible) reply.header('vary', 'Accept-Encoding');
  if (kept.etag !== undefined) {
    const etag = etagFor(kept.etag, coding);
    reply.header('etag', etag).header('cache-control', 'no-cache');
    if (noneMatchHolds(req.headers['if-none-match'], etag)) return reply.code(304).send();
  }
  if (coding === 'identity') return reply.type('application/json').send(kept.body);
  const body = await (kept.compressed[coding] ??= compress(kept.body, coding)).catch(() => undefined);
  if (!body) {
    delete kept.compressed[coding];
    if (kept.etag !== undefined) reply.header('etag', kept.etag);
    return reply.type('application/json').send(kept.body);
  }
  return reply.header('content-encoding', coding).type('application/json').send(body);
}

/** the answer of one URL at one change: a promise, so the requests arriving while it is made wait for it */
interface Entry {
  changedAt: number;
  made: Promise<Kept>;
  /** still being made (clock-made answers are shared only meanwhile) */
  making: boolean;
}

export interface AnswerCacheOptions {
  /** URLs kept at most (the least recently made go first) */
  maxUrls?: number;
  /** the answer depends on the clock too: made for each request, kept by its bytes (see above) */
  clock?: boolean;
  /** false: no ETag, no 304 (answers new at every request); compressed all the same */
  tagged?: boolean;
}

export class AnswerCache {
  private readonly kept = new Map<string, Entry>();
  private readonly maxUrls: number;
  private readonly clock: boolean;
  private readonly tagged: boolean;

  constructor(
    private readonly ctx: ApiContext,
    opts: AnswerCacheOptions = {},
  ) {
    this.maxUrls = opts.maxUrls ?? 16;
    this.clock = opts.clock ?? false;
    this.tagged = opts.tagged ?? true;
  }

  /** The route's schema with what these answers add documented (keptAnswerSchema), for `{ schema: answers.schema({...}) }`. */
  schema<S extends RouteSchema>(schema: S): S {
    return keptAnswerSchema(schema, { tagged: this.tagged });
  }

  /**
   * Answers `req` with what `compute` makes of the store at one revision under `prefixes`, made again only
   * when something under them changed (or, `clock`, for each request), and made once however many requests
   * ask meanwhile (64 clients after a change would otherwise each serialize, hash and compress the same
   * 570 KB). `compute` may throw (a 404) as a handler does; that is not kept.
   */
  async answer(req: FastifyRequest, reply: FastifyReply, prefixes: readonly string[], compute: (views: ReadViews) => Promise<unknown>): Promise<unknown> {
    const snapshot = await snapshotFor(this.ctx, prefixes);
    reply.header(REVISION_HEADER, String(snapshot.atRevision));
    const changedAt = snapshot.changedAt;
    // as fastify would send it: secrets redacted (the preSerialization hook), then the route's response schema
    const serialize = async () => Buffer.from(reply.serialize(redactSecrets(await compute(viewsOn(this.ctx, snapshot)))) as string);
    // read from the store (the mirror was not there in time): sent the same way, but nothing to compare it with later
    if (!snapshot.mirrored) return sendKept(req, reply, keep(changedAt, await serialize(), this.tagged));
    const current = this.kept.get(req.url);
    if (current?.changedAt === changedAt && (!this.clock || current.making)) return sendKept(req, reply, await current.made);
    const made = this.keptOrNew(changedAt, serialize(), current?.made);
    // a request that took an older snapshot (it waited longer) does not replace a newer answer
    if (!current || current.changedAt <= changedAt) {
      const entry: Entry = { changedAt, made, making: true };
      this.kept.delete(req.url);
      this.kept.set(req.url, entry);
      if (this.kept.size > this.maxUrls) this.kept.delete(this.kept.keys().next().value!);
      made.then(
        () => (entry.making = false),
        () => {
          if (this.kept.get(req.url) === entry) this.kept.delete(req.url);
        },
      );
    }
    return sendKept(req, reply, await made);
  }

  /** The answer kept before when the new bytes are its bytes (its tag and compressed forms stay), else a new one. */
  private async keptOrNew(changedAt: number, serialized: Promise<Buffer>, before: Promise<Kept> | undefined): Promise<Kept> {
    const body = await serialized;
    const previous = await before?.catch(() => undefined);
    return previous?.body.equals(body) ? previous : keep(changedAt, body, this.tagged);
  }
}

/** the parts of a fastify route schema keptAnswerSchema adds to */
interface RouteSchema {
  headers?: undefined;
  response: { 200: object } & Record<number, object>;
}

const noneMatchDoc = 'Only for clients that revalidate: the ETag of the answer they hold (several may be listed, weak or strong); while it is still the current answer in the coding asked for, the answer is 304 with no body.';
const acceptEncodingDoc = 'br or gzip (q-values as RFC 9110 says): answers of 1,024 bytes or more come compressed in the best coding the client takes; smaller ones, and clients that take neither, get identity.';

/**
 * How the OpenAPI documents tell a client to revalidate and decompress an answer sent by sendKept: the
 * request headers it may send, the response headers it gets, and the 304. Response headers are documented
 * in the response schema's `headers` (fast-json-stringify ignores them, as it does x-paz-revision's).
 */
export function keptAnswerSchema<S extends RouteSchema>(schema: S, opts: { tagged: boolean }): S {
  const ok = schema.response[200] as { headers?: Record<string, TSchema> };
  const coded = {
    // enums, not literals: OpenAPI 3.0 has no `const`
    'Content-Encoding': Type.String({ enum: ['br', 'gzip'], description: 'the coding of the body, when it is compressed (absent: identity)' }),
    Vary: Type.String({ enum: ['Accept-Encoding'], description: 'answers of 1,024 bytes or more: the body depends on Accept-Encoding' }),
  };
  const tags = {
    ETag: Type.String({
      description: 'A strong tag of exactly these bytes in this coding (each coding has its own). Send it back in If-None-Match to revalidate: 304 while the answer is unchanged, the whole new answer once anything in it changed.',
    }),
    'Cache-Control': Type.String({ enum: ['no-cache'], description: 'a cache may keep the body, but must revalidate (If-None-Match) before each use' }),
  };
  return {
    ...schema,
    headers: Type.Object({
      'Accept-Encoding': Type.Optional(Type.String({ description: acceptEncodingDoc })),
      ...(opts.tagged ? { 'If-None-Match': Type.Optional(Type.String({ description: noneMatchDoc })) } : {}),
    }),
    response: {
      ...schema.response,
      200: { ...ok, headers: { ...ok.headers, ...coded, ...(opts.tagged ? tags : {}) } },
      ...(opts.tagged
        ? {
            304: {
              type: 'null',
              description: 'Not Modified: the If-None-Match tag is the current answer in this coding; keep using the body held. No body.',
              headers: { ...tags, Vary: coded.Vary, ...revisionHeader },
            },
          }
        : {}),
    },
  };
}
