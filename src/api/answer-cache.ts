/**
 * The serialized answers of one GET route, kept until what they were made from changes: 64 clients
 * asking for 1,000 units get the same bytes, made once per change of the units, not once per request.
 *
 * Only for answers that are a function of the store alone (not of the clock, as host health is): an
 * answer is kept with the revision of the last change under its prefixes (StoreSnapshot.changedAt) and
 * reused while that is still the last change; the reply names the snapshot's own revision, at which the
 * kept answer is still exactly the store. Kept per URL (path and query), a few URLs per route.
 *
 * Each kept answer is also served as HTTP serves a big, often-polled document (http/content-coding.ts):
 * with a strong ETag (a client sending it back in If-None-Match gets a 304 and no body), and compressed
 * (br or gzip, as the client's Accept-Encoding allows) once per answer on first demand, never per
 * request. `Cache-Control: no-cache` makes browser caches ask again every time, so nobody sees an old
 * answer: a cache may keep the body, but only a 304 lets it use it.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { redactSecrets } from '../core/secret-env.js';
import { chooseCoding, compress, COMPRESS_MIN_BYTES, etagFor, noneMatchHolds, strongEtag, type Compression } from '../http/content-coding.js';
import { REVISION_HEADER, snapshotFor, viewsOn, type ReadViews } from './read-at.js';
import type { ApiContext } from './context.js';

interface Kept {
  changedAt: number;
  body: Buffer;
  etag: string;
  /** the body compressed, made on the first request that takes each coding */
  compressed: Partial<Record<Compression, Promise<Buffer>>>;
}

/** Makes a kept answer of serialized bytes: its ETag now, its compressed forms when first asked for. */
export function keep(changedAt: number, body: Buffer): Kept {
  return { changedAt, body, etag: strongEtag(body), compressed: {} };
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
  const etag = etagFor(kept.etag, coding);
  reply.header('etag', etag).header('cache-control', 'no-cache');
  if (noneMatchHolds(req.headers['if-none-match'], etag)) return reply.code(304).send();
  if (coding === 'identity') return reply.type('application/json').send(kept.body);
  const body = await (kept.compressed[coding] ??= compress(kept.body, coding)).catch(() => undefined);
  if (!body) {
    delete kept.compressed[coding];
    return reply.header('etag', kept.etag).type('application/json').send(kept.body);
  }
  return reply.header('content-encoding', coding).type('application/json').send(body);
}

/** the answer of one URL at one change: a promise, so the requests arriving while it is made wait for it */
interface Entry {
  changedAt: number;
  made: Promise<Kept>;
}

export class AnswerCache {
  private readonly kept = new Map<string, Entry>();

  constructor(
    private readonly ctx: ApiContext,
    /** URLs kept at most (the least recently made go first) */
    private readonly maxUrls = 16,
  ) {}

  /**
   * Answers `req` with what `compute` makes of the store at one revision under `prefixes`, made again only
   * when something under them changed, and made once however many requests ask meanwhile (64 clients after
   * a change would otherwise each serialize, hash and compress the same 570 KB). `compute` may throw (a
   * 404) as a handler does; that is not kept.
   */
  async answer(req: FastifyRequest, reply: FastifyReply, prefixes: readonly string[], compute: (views: ReadViews) => Promise<unknown>): Promise<unknown> {
    const snapshot = await snapshotFor(this.ctx, prefixes);
    reply.header(REVISION_HEADER, String(snapshot.atRevision));
    const changedAt = snapshot.changedAt;
    // as fastify would send it: secrets redacted (the preSerialization hook), then the route's response schema
    const make = async () => keep(changedAt, Buffer.from(reply.serialize(redactSecrets(await compute(viewsOn(this.ctx, snapshot)))) as string));
    // read from the store (the mirror was not there in time): sent the same way, but nothing to compare it with later
    if (!snapshot.mirrored) return sendKept(req, reply, await make());
    const current = this.kept.get(req.url);
    if (current?.changedAt === changedAt) return sendKept(req, reply, await current.made);
    const made = make();
    // a request that took an older snapshot (it waited longer) does not replace a newer answer
    if (!current || current.changedAt < changedAt) {
      const entry = { changedAt, made };
      this.kept.delete(req.url);
      this.kept.set(req.url, entry);
      if (this.kept.size > this.maxUrls) this.kept.delete(this.kept.keys().next().value!);
      made.catch(() => {
        if (this.kept.get(req.url) === entry) this.kept.delete(req.url);
      });
    }
    return sendKept(req, reply, await made);
  }
}
