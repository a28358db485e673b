/**
 * `GET /events`: live events as a text/event-stream (what Paz's socket.io on port 1337 pushed, and more).
 * Each event's id is the store revision, so a client that reconnects with `Last-Event-ID` (or
 * `?since=REV`) gets exactly what it missed, nothing twice.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { PazError } from '../../core/errors.js';
import { sseFrame, toPazEvent } from '../../core/events.js';
import { StoreCompactedError, type Watch } from '../../store/store.js';
import type { ApiContext } from '../context.js';
import { registerLongLived } from '../../http/long-lived.js';

const HEARTBEAT_MS = 15_000;

/**
 * Bytes an event-stream client may have waiting (in Node and the socket) before it is dropped: a client that
 * stops reading would otherwise grow server memory without bound (200 such clients took a server from 115 MB
 * to 1.9 GB). A dropped client reconnects with Last-Event-ID and misses nothing. PAZ_EVENTS_MAX_BUFFERED_BYTES
 * sets it (tests use a small one).
 */
export const DEFAULT_EVENTS_MAX_BUFFERED_BYTES = 2 * 1024 * 1024;

export function eventsMaxBufferedBytes(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.PAZ_EVENTS_MAX_BUFFERED_BYTES);
  return Number.isSafeInteger(n) && n > 0 ? n : DEFAULT_EVENTS_MAX_BUFFERED_BYTES;
}

export function registerEventRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: { since?: number } }>(
    '/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Live events (Server-Sent Events): service.*, unit.*, host.*, endpoint.*, journal',
        description:
          'Each event id is a store revision. `?since=REV` (or `Last-Event-ID: REV`) delivers every event with a revision strictly greater than REV, ' +
          'then live ones; without either, only events from now on. Every store-reading GET answers `x-paz-revision: REV`, the revision its whole ' +
          'answer was read at: load a page, then follow `/events?since=REV`, and no change is missed or seen twice. Events of one write share an id. ' +
          'A REV older than the kept history answers 400: reload, then follow from the new revision.\n\n' +
          'Event data (`data:` is JSON): `service.create` the service document (as GET /services/:name); `service.modifyConfig` `{name, config}`; ' +
          '`service.del` the name; `unit.add` and `unit.change` the desired unit `{unit, service, version, instance, host, spec, createdAt, placedAt?, hold?, drainingSince?, reason?, …}`; ' +
          '`unit.remove` the unit name; `unit.status` what its agent reports `{unit, host, state, healthy, restarts, image, endpoint?, exitCode?, reason?, lastProbe?, updatedAt, …}`; ' +
          '`host.add` the host record `{id, hostname, ip, labels, cpus, memoryBytes, version, agentUrl, driver, startedAt, heartbeatAt, …}` (heartbeats are not events); ' +
          '`host.remove` the host id; `endpoint.add` / `endpoint.remove` `{service, version, instance, address}`; `journal` a journal entry `{event, serviceName, version, timestamp, message?, actor?}`. ' +
          'Secrets show as `{secret: true, fingerprint}`.',
        querystring: Type.Object({ since: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER - 1, description: 'deliver the events with a revision strictly greater than this one (e.g. an x-paz-revision)' })) }),
      },
    },
    async (req, reply) => {
      const since = req.query.since ?? lastEventId(req.headers['last-event-id']);
      const raw = reply.raw;
      const maxBuffered = eventsMaxBufferedBytes();
      let watch: Watch | undefined;
      // events may arrive before the headers are out: hold them until then
      let pending: string[] | undefined = [];
      const write = (text: string) => {
        if (pending) pending.push(text);
        else if (raw.writableEnded || raw.destroyed) return;
        else if (raw.writableLength > maxBuffered) {
          // checked before writing, so one event larger than the bound still goes out to a client that reads
          // a client that stops reading is the client's business, not the operator's: info
          req.log.info({ buffered: raw.writableLength, limit: maxBuffered }, 'event-stream client is not reading: dropped (it resumes with Last-Event-ID)');
          raw.destroy();
        } else raw.write(text);
      };
      if (since !== undefined) {
        // a revision the store has not reached yet would wait, silently, until it is made (perhaps never): an id
        // from another cluster, or a typo. Every id Paz gives out (events, x-paz-revision) is at most this
        const now = await ctx.store.revision();
        if (since > now) throw new PazError('VALIDATION', `since ${since} is ahead of the store, which is at revision ${now}: send an id Paz gave you (an event's id or an x-paz-revision), or none to start from now`, { field: 'since' });
      }
      try {
        watch = await ctx.store.watch(
          '/paz/',
          (events) => {
            for (const e of events) {
              const pe = toPazEvent(e);
              if (pe) write(sseFrame(pe));
            }
          },
          {
            fromRevision: since === undefined ? undefined : since + 1,
            // events.ts tells add from change, and a removed endpoint's address, by the previous value
            prevValues: true,
            onError: (err) => {
              write(`event: error\ndata: ${JSON.stringify({ message: err.message })}\n\n`);
              raw.end();
            },
          },
        );
      } catch (err) {
        if (err instanceof StoreCompactedError) throw new PazError('VALIDATION', `${err.message}: reconnect without Last-Event-ID/since and re-read the state`);
        throw err;
      }
      reply.hijack();
      raw.writeHead(200, { ...(reply.getHeaders() as Record<string, string>), 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      raw.flushHeaders();
      raw.write(`: paz events since revision ${since ?? (await ctx.store.revision())}\n\n`);
      const held = pending;
      pending = undefined;
      for (const text of held) write(text);
      const heartbeat = setInterval(() => write(': keep-alive\n\n'), HEARTBEAT_MS);
      raw.once('close', () => {
        clearInterval(heartbeat);
        void watch?.cancel();
      });
      // a client reconnects with Last-Event-ID once Paz is back; with a revoked token, its reconnection is refused
      registerLongLived(reply, (why) => {
        if (why === 'revoked') raw.write(`event: error\ndata: ${JSON.stringify({ message: 'the token this stream was opened with was revoked' })}\n\n`);
        raw.end();
      });
    },
  );
}

/** The revision a `Last-Event-ID` header resumes after; a header that is not one is refused (400), not ignored. */
export function lastEventId(header: string | string[] | undefined): number | undefined {
  if (header === undefined || header === '') return undefined;
  const text = Array.isArray(header) ? header.join(',') : header;
  if (!/^[0-9]{1,15}$/.test(text.trim())) {
    throw new PazError('VALIDATION', `Last-Event-ID ${JSON.stringify(text.slice(0, 64))} is not an event id: send the id of the last event received (a whole number), or no Last-Event-ID to start from now`, { field: 'last-event-id' });
  }
  return Number(text.trim());
}
