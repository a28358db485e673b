/**
 * Long-lived answers (event streams, followed logs). A request's token is checked when it starts (auth.ts), and
 * these answers outlive that moment by hours. Registered here, each is ended
 * - when its app closes: closing a server waits for every open request, and these do not end by themselves (an
 *   open dashboard held `paz up`'s stop for 20 s);
 * - when a guard says it may not go on: auth.ts checks the token it was opened with again while it is open, so
 *   revoking a token ends what it is following too (a leaked token's open event stream went on after revocation).
 * Forgotten once the response closes.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** why a long-lived answer is ended: its app is closing, or the token it was opened with was revoked */
export type EndReason = 'closing' | 'revoked';

/** Watches one long-lived answer; calls `end` when it may not go on. Returns how to stop watching, if it watches. */
export type StreamGuard = (req: FastifyRequest, end: () => void) => (() => void) | undefined;

interface Registry {
  ends: Set<(why: EndReason) => void>;
  guards: StreamGuard[];
}

/** per HTTP server (shared by an app's encapsulated contexts) */
const registries = new WeakMap<object, Registry>();

function registryOf(server: object): Registry {
  let r = registries.get(server);
  if (!r) registries.set(server, (r = { ends: new Set(), guards: [] }));
  return r;
}

/** Every long-lived answer of `server` opened from now on is watched by `guard`. */
export function guardLongLived(server: object, guard: StreamGuard): void {
  registryOf(server).guards.push(guard);
}

/** `end` ends this answer, saying why where its format allows; called at most once. */
export function registerLongLived(reply: FastifyReply, end: (why: EndReason) => void): void {
  const registry = registryOf(reply.server.server);
  let ended = false;
  const endOnce = (why: EndReason) => {
    if (ended) return;
    ended = true;
    end(why);
  };
  registry.ends.add(endOnce);
  const stops = registry.guards.map((guard) => guard(reply.request, () => endOnce('revoked'))).filter((s) => s !== undefined);
  reply.raw.once('close', () => {
    registry.ends.delete(endOnce);
    for (const stop of stops) stop();
  });
}

/** Ends every long-lived answer of `server` (its app's preClose). */
export function endLongLived(server: object): void {
  for (const end of [...(registries.get(server)?.ends ?? [])]) end('closing');
}
