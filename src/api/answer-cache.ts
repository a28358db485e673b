/**
 * The serialized answers of one GET route, kept until what they were made from changes: 64 clients
 * asking for 1,000 units get the same bytes, made once per change of the units, not once per request.
 *
 * Only for answers that are a function of the store alone (not of the clock, as host health is): an
 * answer is kept with the revision of the last change under its prefixes (StoreSnapshot.changedAt) and
 * reused while that is still the last change; the reply names the snapshot's own revision, at which the
 * kept answer is still exactly the store. Kept per URL (path and query), a few URLs per route.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { redactSecrets } from '../core/secret-env.js';
import { REVISION_HEADER, snapshotFor, viewsOn, type ReadViews } from './read-at.js';
import type { ApiContext } from './context.js';

interface Kept {
  changedAt: number;
  body: Buffer;
}

export class AnswerCache {
  private readonly kept = new Map<string, Kept>();

  constructor(
    private readonly ctx: ApiContext,
    /** URLs kept at most (the least recently made go first) */
    private readonly maxUrls = 16,
  ) {}

  /**
   * Answers `req` with what `compute` makes of the store at one revision under `prefixes`, made again only
   * when something under them changed. `compute` may throw (a 404) as a handler does; that is not kept.
   */
  async answer(req: FastifyRequest, reply: FastifyReply, prefixes: readonly string[], compute: (views: ReadViews) => Promise<unknown>): Promise<unknown> {
    const snapshot = await snapshotFor(this.ctx, prefixes);
    reply.header(REVISION_HEADER, String(snapshot.atRevision));
    // read from the store (the mirror was not there in time): nothing to compare a kept answer with
    if (!snapshot.mirrored) return compute(viewsOn(this.ctx, snapshot));
    const changedAt = snapshot.changedAt;
    const kept = this.kept.get(req.url);
    if (kept?.changedAt === changedAt) return reply.type('application/json').send(kept.body);
    // as fastify would send it: secrets redacted (the preSerialization hook), then the route's response schema
    const body = Buffer.from(reply.serialize(redactSecrets(await compute(viewsOn(this.ctx, snapshot)))) as string);
    this.kept.delete(req.url);
    this.kept.set(req.url, { changedAt, body });
    if (this.kept.size > this.maxUrls) this.kept.delete(this.kept.keys().next().value!);
    return reply.type('application/json').send(body);
  }
}
