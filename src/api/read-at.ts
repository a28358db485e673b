/**
 * Reads for GET answers at one store revision, told to the client in `x-paz-revision`.
 *
 * Why one snapshot, not "the revision of the last read": an answer such as /cluster/units joins three
 * ranges (desired units, statuses, hosts) and the latest versions; read one after another, a write between
 * them would give an answer that was never the store's state at any revision, and a client following
 * `/events?since=REV` from it would miss or repeat a change. So every GET that reads the store first reads
 * all the prefixes it needs with Store.rangeMany (one SQLite read transaction; on etcd, ranges at one
 * revision) and runs the usual read models on that snapshot. REV is then exact: the answer is the store at
 * REV, and `/events?since=REV` delivers exactly the changes with revision > REV.
 *
 * The snapshot normally comes from memory (state/store-mirror.ts: the store kept current by a watch, with
 * the same guarantee of read-your-writes as a store read), and the big lists keep their serialized answer
 * per revision (answer-cache.ts), so a GET under load costs little more than sending bytes.
 */
import type { FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import { keys } from '../core/keys.js';
import { readSnapshot, StoreSnapshot } from '../store/snapshot.js';
import { Directory } from '../state/directory.js';
import { Deploys } from '../state/deploys.js';
import { ClusterView } from '../state/cluster.js';
import { Tokens } from '../state/tokens.js';
import { RegistryLogins } from '../state/registry-logins.js';
import type { ApiContext } from './context.js';

export const REVISION_HEADER = 'x-paz-revision';

/** The read models, on one snapshot. */
export interface ReadViews {
  snapshot: StoreSnapshot;
  directory: Directory;
  deploys: Deploys;
  cluster: ClusterView;
  tokens: Tokens;
  registryLogins: RegistryLogins;
}

/** The prefixes each kind of answer reads (a read outside them fails: see StoreSnapshot). */
export const readScopes = {
  /** the service documents and the repository index */
  directory: (): string[] => ['/paz/directory/'],
  service: (name: string): string[] => [keys.service(name)],
  /** one service's versions: latest, serving, records, digests pinned at first pull, rollout statuses */
  deploysOf: (name: string): string[] => [keys.latest(name), keys.serving(name), keys.deploysOf(name), keys.versionDigestsOf(name), keys.rolloutStatusesOf(name)],
  /** hosts, and units joined with their statuses (committed units need the latest versions) */
  cluster: (): string[] => [keys.hostsPrefix(), keys.desiredUnitsPrefix(), keys.unitStatusPrefix(), keys.latestPrefix(), keys.hostDrainsPrefix()],
  /** the journal and the deploy records whose config each entry shows */
  journal: (): string[] => [keys.journalPrefix(), '/paz/scheduler/deploys/'],
  tokens: (): string[] => [keys.tokensPrefix()],
  registries: (): string[] => [keys.registryLoginsPrefix()],
  endpoints: (): string[] => ['/paz/services/'],
  /** health at three levels: the cluster's records, known (down) hosts, services and their latest deploys */
  health: (): string[] => [
    keys.hostsPrefix(),
    keys.knownHostsPrefix(),
    keys.hostDrainsPrefix(),
    keys.desiredUnitsPrefix(),
    keys.unitStatusPrefix(),
    keys.latestPrefix(),
    '/paz/scheduler/serving/',
    '/paz/scheduler/status/',
    '/paz/directory/',
  ],
};

/**
 * The store at one revision for `prefixes`, with every write that finished before the call: from the
 * in-memory mirror (state/store-mirror.ts) when it is there in time, else read from the store.
 */
export async function snapshotFor(ctx: ApiContext, prefixes: readonly string[]): Promise<StoreSnapshot> {
  const unique = [...new Set(prefixes)];
  const view = await ctx.reads.view();
  return view ? new StoreSnapshot(ctx.store, unique, view, true) : readSnapshot(ctx.store, unique);
}

/** The read models on a snapshot. */
export function viewsOn(ctx: ApiContext, snapshot: StoreSnapshot): ReadViews {
  return {
    snapshot,
    directory: new Directory(snapshot, Date.now, ctx.secretKey),
    deploys: new Deploys(snapshot),
    cluster: new ClusterView(snapshot),
    tokens: new Tokens(snapshot),
    registryLogins: new RegistryLogins(snapshot, ctx.secretKey),
  };
}

/** Reads `prefixes` at one revision, sets `x-paz-revision` on the reply, and gives the read models on that snapshot. */
export async function readAt(ctx: ApiContext, reply: FastifyReply, prefixes: readonly string[]): Promise<ReadViews> {
  const snapshot = await snapshotFor(ctx, prefixes);
  reply.header(REVISION_HEADER, String(snapshot.atRevision));
  return viewsOn(ctx, snapshot);
}

/** How the OpenAPI documents describe the header (a response's `headers`; fast-json-stringify ignores it). */
export const revisionHeader = {
  [REVISION_HEADER]: Type.Integer({
    description:
      'The store revision this answer was read at: the whole answer is the store at that revision. Follow it with `GET /events?since=<it>` ' +
      '(or `Last-Event-ID: <it>`) to get exactly the changes after it, none missed and none twice.',
  }),
};

/** A 200 answer schema with `x-paz-revision` documented. */
export function withRevision<T extends object>(schema: T): T & { headers: typeof revisionHeader } {
  return { ...schema, headers: revisionHeader };
}
