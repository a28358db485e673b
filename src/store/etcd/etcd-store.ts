/**
 * The Store on a real etcd v3 cluster (`--store etcd://host:2379,host2:2379`), through the etcd3
 * package's gRPC clients. etcd already has the Store's semantics (one revision per write, txn compares,
 * leases, watches from a revision, compaction), so this class mostly translates (etcd-mapping.ts) and
 * adds what a long-running platform needs around it:
 *
 * - watches that survive a broken gRPC stream, resuming from the first undelivered revision with
 *   nothing repeated or lost (resumable-watch.ts, watch-cursor.ts);
 * - its own choice of member for every call (member-choice.ts), with a deadline on every call, writes
 *   included: a call that fails moves to another member, a member that did not answer goes to the back of
 *   the line, and an election (etcd's "no leader", "leader changed") costs no member its place. etcd3's own
 *   pool (a client per member here) only makes the call: its retries would repeat writes whose reply was
 *   lost, and its per-member circuit breakers counted an election's answers as failures, so during an
 *   election every breaker opened and every call failed for seconds;
 * - retries that never apply a write twice: a write is repeated only if it never reached etcd (or etcd
 *   refused it before doing anything); one whose outcome is unknown is reported so
 *   (StoreWriteOutcomeUnknownError), a read on any passing failure (etcd-errors.ts);
 * - lease ids below 2^53, chosen here, so they stay exact as JavaScript numbers (etcd's own are
 *   random 63-bit ids).
 */
import { randomInt } from 'node:crypto';
import { Etcd3, type IDuplexStream, type ILeaseKeepAliveRequest, type ILeaseKeepAliveResponse, type IOptions } from 'etcd3';
import { setTimeout as sleep } from 'node:timers/promises';
import { keepChannelsOnCallErrors } from './pool-resets.js';
import {
  LeaseNotFoundError,
  StoreClosedError,
  StoreFullError,
  StoreLimitError,
  StoreUnavailableError,
  StoreWriteOutcomeUnknownError,
  type StoreLimits,
  type KeyValue,
  type Lease,
  type PutOptions,
  type MultiRangeResult,
  type RangeResult,
  type Store,
  type TxnRequest,
  type TxnResult,
  type Watch,
  type WatchEvent,
  type WatchOptions,
} from '../store.js';
import { afterFailedAttempt, moreTellingError, isAlreadyCompacted, isLeaseAlreadyExists, isLeaseNotFound, isOverRequestLimit, isSpaceExceeded, memberDidNotAnswer } from './etcd-errors.js';
import { MemberChoice } from './member-choice.js';
import { checkTxnLimits } from '../txn-limits.js';
import {
  headerRevision,
  int64,
  leaseOfOps,
  prefixRange,
  toEtcdCompare,
  toKeyValue,
  toPutRequest,
  toRequestOp,
} from './etcd-mapping.js';
import { closeQuietly, ResumableWatch, type WatchStream } from './resumable-watch.js';
import { validateOp } from '../validate-op.js';
import { backoffDelayMs } from '../../core/backoff.js';

export interface EtcdStoreOptions {
  /**
   * bound of one call to etcd, its attempts on several members included (default 5 s): a member that stopped
   * answering, or a cluster without a leader, fails the call (StoreUnavailableError), it does not hang it
   */
  callTimeoutMs?: number;
  /** errors no caller hears of, e.g. a watch stream that broke and is being reopened (default: process warnings) */
  onBackgroundError?: (err: Error) => void;
  /** the cluster's --max-txn-ops and --max-request-bytes, when not etcd's defaults (128, 1.5 MiB) */
  limits?: Partial<StoreLimits>;
  /** etcd's own auth: a user and password (etcdctl user add, auth enable) */
  auth?: { username: string; password: string };
  /** TLS to etcd: the CA that signed its certificate (default: the system's), and a client certificate and key */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
}

/** etcd's defaults: --max-txn-ops 128, --max-request-bytes 1.5 MiB */
export const ETCD_DEFAULT_MAX_TXN_OPS = 128;
export const ETCD_DEFAULT_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;
/** etcd measures the whole raft request (a header around the txn): keep this much below its limit */
const REQUEST_HEADER_MARGIN_BYTES = 8 * 1024;

/** The limits to write within, from the values of etcd's --max-txn-ops and --max-request-bytes. */
export function limitsForEtcdFlags(flags: { maxTxnOps?: number; maxRequestBytes?: number }): Partial<StoreLimits> {
  return {
    ...(flags.maxTxnOps !== undefined ? { maxTxnOps: flags.maxTxnOps } : {}),
    ...(flags.maxRequestBytes !== undefined ? { maxTxnBytes: flags.maxRequestBytes - REQUEST_HEADER_MARGIN_BYTES } : {}),
  };
}

/**
 * the deadline of one attempt, by kind of call. A call that fails moves to another member, so one sent to a
 * member that died with no word (a power cut) or whose packets are dropped (a partition) costs this long,
 * not the whole call: every loop of the control plane and the agents reads and writes, and a 30 s hang
 * there held a lost host's units 30 s longer. "quick": a small call safe to repeat (a lease keep-alive, the
 * revision), which etcd answers in milliseconds; a healthy host's 10 s lease must survive a member that
 * does not answer.
 */
const ATTEMPT_MS = { quick: 2_000, read: 4_000, write: 4_000 } as const;
type CallKind = keyof typeof ATTEMPT_MS;
const DEFAULT_CALL_TIMEOUT_MS = 5_000;
/** pauses between rounds over the members (an election lasts a second or two): 100 ms, then doubled up to 500 ms */
const RETRY_BACKOFF = { initialMs: 100, maxMs: 500 };
/** a member that did not answer is tried last for this long by reads (writes keep it last until it answers) */
const UNREACHABLE_FOR_MS = 10_000;
/** lease ids are drawn from [1, 2^48): exact as numbers, and a clash (etcd says so) just draws again */
const LEASE_ID_LIMIT = 2 ** 48;
const LEASE_GRANT_DRAWS = 5;

type GlobalPolicy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

/**
 * etcd3's connection pool runs every call through this (globally, and per member); its defaults retry any
 * "recoverable" error 3 times, writes included, and open a per-member circuit breaker after 3 of them.
 * Here each member has its own client and this class retries: the pool just calls. Only `execute` is used.
 */
const NEVER_ABORTED = new AbortController().signal;
const CALL_ONCE = {
  // one signal for every call: the pool hands it to nothing that listens (it ran twice per call, a fresh
  // AbortController each time, ~2% of a busy agent's CPU in bench/scheduling)
  execute: async (fn: (context: { signal: AbortSignal }) => unknown) => fn({ signal: NEVER_ABORTED }),
} as unknown as GlobalPolicy;

/**
 * Asks etcd to refuse a call at once on a member that has no leader (etcd's "hasleader" metadata, as its
 * own Go client sends for watches): such a member would otherwise hold the call until its own timeout, and
 * the refusal ("etcdserver: no leader") comes before any work, so the call can go to another member, a
 * write included. Streams (watches, keep-alives) on a member that loses its leader are ended by etcd.
 * A grpc-js interceptor: it wraps the call's start to add the metadata.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const requireLeader = (options: any, nextCall: (options: any) => any) => {
  const call = nextCall(options);
  const start = call.start.bind(call);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call.start = (metadata: any, listener: any) => {
    metadata.set('hasleader', 'true');
    start(metadata, listener);
  };
  return call;
};

interface Member {
  endpoint: string;
  client: Etcd3;
}

/** The etcd3 client options of one member's client (the store wraps the client with pool-resets.ts). */
export function memberClientOptions(endpoint: string, options: Pick<EtcdStoreOptions, 'auth' | 'tls'> = {}): IOptions {
  return {
    hosts: [endpoint],
    grpcOptions: {
      // a range of many keys can exceed grpc-js's default 4 MiB; etcd itself sets no reply limit
      'grpc.max_receive_message_length': -1,
      // notice a dead member under an open stream within ~8 s; etcd accepts pings every 5 s or slower
      // (--grpc-keepalive-min-time), and answers pings closer together with "too many pings"
      'grpc.keepalive_time_ms': 6_000,
      'grpc.keepalive_timeout_ms': 2_000,
      // after a member was unreachable, grpc-js tries to connect again after 1 s, then 1.6 times longer each
      // time, up to 2 min by default: a host cut off from etcd for a few minutes stayed cut off up to 2 min
      // after the network came back (its router, its units, its lease). 5 s at most, like a loop's watch.
      'grpc.max_reconnect_backoff_ms': 5_000,
    },
    // every call's deadline is given with it (streams have none: a watch lives on)
    defaultCallOptions: () => ({ interceptors: [requireLeader] }),
    faultHandling: { global: CALL_ONCE, host: () => CALL_ONCE },
    ...(options.auth ? { auth: { username: options.auth.username, password: options.auth.password } } : {}),
    // grpc-js takes no root certificate as "the system's"
    ...(options.tls ? { credentials: { rootCertificate: options.tls.ca as Buffer, privateKey: options.tls.key, certChain: options.tls.cert } } : {}),
  };
}

export class EtcdStore implements Store {
  readonly name: string;
  readonly limits: StoreLimits;
  private readonly members: Map<string, Member>;
  private readonly choice: MemberChoice;
  private readonly callTimeoutMs: number;
  private readonly onBackgroundError: (err: Error) => void;
  private readonly watches = new Set<ResumableWatch>();
  private closed = false;

  /** `endpoints`: host:port of one or more members of one cluster, e.g. ['127.0.0.1:2379']. Connects lazily. */
  constructor(endpoints: string[], options: EtcdStoreOptions = {}) {
    const hosts = endpoints.map((e) => e.trim()).filter((e) => e !== '');
    if (hosts.length === 0) throw new Error('an etcd store needs at least one endpoint, e.g. 127.0.0.1:2379');
    // the user, never the password: the name goes into logs and messages
    this.name = `${options.tls ? 'etcds' : 'etcd'}://${options.auth ? `${encodeURIComponent(options.auth.username)}@` : ''}${hosts.join(',')}`;
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.limits = {
      maxTxnOps: options.limits?.maxTxnOps ?? ETCD_DEFAULT_MAX_TXN_OPS,
      maxTxnBytes: options.limits?.maxTxnBytes ?? ETCD_DEFAULT_MAX_REQUEST_BYTES - REQUEST_HEADER_MARGIN_BYTES,
    };
    this.onBackgroundError = options.onBackgroundError
      ?? ((err) => process.emitWarning(`${this.name}: ${err.message}`, { type: 'PazStoreWarning' }));
    // one client per member, so this class chooses where each call goes; a failed call closes none of its
    // streams (pool-resets.ts)
    this.members = new Map(hosts.map((endpoint) => [endpoint, { endpoint, client: this.withChannelsKept(new Etcd3(memberClientOptions(endpoint, options))) }]));
    this.choice = new MemberChoice(hosts, { unreachableForMs: UNREACHABLE_FOR_MS });
  }

  /** `client`, whose failed calls close none of its streams (pool-resets.ts) */
  private withChannelsKept(client: Etcd3): Etcd3 {
    if (!keepChannelsOnCallErrors(client)) {
      this.onBackgroundError(new Error('etcd3\'s connection pool is not the one pool-resets.ts knows: a failed call will drop every watch of this process (an etcd3 upgrade?)'));
    }
    return client;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const response = await this.call('read', (c, deadline) => c.kv.range({ key: Buffer.from(key, 'utf8') }, { deadline }));
    return response.kvs.length > 0 ? toKeyValue(response.kvs[0]) : undefined;
  }

  async range(prefix: string): Promise<RangeResult> {
    // etcd returns a range in key order (byte-wise, i.e. code-point order)
    const response = await this.call('read', (c, deadline) => c.kv.range(prefixRange(prefix), { deadline }));
    return { kvs: response.kvs.map(toKeyValue), revision: headerRevision(response) };
  }

  async rangeMany(prefixes: readonly string[]): Promise<MultiRangeResult> {
    // etcd keeps every revision until compaction: the first range fixes the revision, the others read at it
    // (MVCC range-at-revision). A compaction in between (a ~never case) starts the read over.
    for (let attempt = 0; ; attempt++) {
      try {
        if (prefixes.length === 0) return { ranges: [], revision: await this.revision() };
        const first = await this.range(prefixes[0]);
        const ranges = [first.kvs];
        for (const p of prefixes.slice(1)) {
          const response = await this.call('read', (c, deadline) => c.kv.range({ ...prefixRange(p), revision: first.revision }, { deadline }));
          ranges.push(response.kvs.map(toKeyValue));
        }
        return { ranges, revision: first.revision };
      } catch (err) {
        if (attempt >= 3 || !isAlreadyCompacted(err)) throw err;
      }
    }
  }

  async put(key: string, value: string, opts: PutOptions = {}): Promise<number> {
    const request = toPutRequest(key, value, opts.lease);
    checkTxnLimits({ compare: [], success: [{ type: 'put', key, value }] }, this.limits);
    const response = await this.call('write', (c, deadline) => c.kv.put(request, { deadline }), opts.lease);
    return headerRevision(response);
  }

  async delete(key: string): Promise<number> {
    validateOp({ type: 'delete', key });
    const response = await this.call('write', (c, deadline) => c.kv.deleteRange({ key: Buffer.from(key, 'utf8') }, { deadline }));
    return int64(response.deleted, 'deleted');
  }

  async deletePrefix(prefix: string): Promise<number> {
    validateOp({ type: 'deletePrefix', prefix });
    const response = await this.call('write', (c, deadline) => c.kv.deleteRange(prefixRange(prefix), { deadline }));
    return int64(response.deleted, 'deleted');
  }

  async txn(req: TxnRequest): Promise<TxnResult> {
    const failure = req.failure ?? [];
    const request = {
      compare: req.compare.map(toEtcdCompare),
      success: req.success.map(toRequestOp),
      failure: failure.map(toRequestOp),
    };
    checkTxnLimits(req, this.limits);
    // etcd itself rejects a branch that writes one key twice ("duplicate key given in txn request")
    const lease = leaseOfOps(req.success) ?? leaseOfOps(failure);
    const response = await this.call('write', (c, deadline) => c.kv.txn(request, { deadline }), lease);
    return { succeeded: response.succeeded, revision: headerRevision(response) };
  }

  async watch(prefix: string, listener: (events: WatchEvent[]) => void, opts: WatchOptions = {}): Promise<Watch> {
    this.assertOpen();
    const { fromRevision } = opts;
    if (fromRevision !== undefined && (!Number.isSafeInteger(fromRevision) || fromRevision < 1)) {
      throw new TypeError(`watch fromRevision must be a whole number >= 1, got ${fromRevision}`);
    }
    if (typeof prefix !== 'string') throw new TypeError('watch needs a string prefix');
    // "only later events" made exact: from the revision after the current one, so a write that
    // completes after watch() resolves is always delivered, and the resume point is known from the start
    const startRevision = fromRevision ?? (await this.revision()) + 1;
    const range = prefixRange(prefix);
    const onError = opts.onError ?? ((err: Error) => this.background(err));
    const watch = await this.call('read', async (_c, deadline, first) => {
      // the first stream on the member this attempt chose; one reopened later on whichever member is next
      let member: string | undefined = first;
      const attempt: ResumableWatch = new ResumableWatch({
        openStream: () => {
          const on = member ?? this.choice.order('read', Date.now())[0];
          member = undefined;
          return this.openWatchStream(on);
        },
        range,
        startRevision,
        prevValues: opts.prevValues === true,
        listener,
        onError,
        onDisconnect: (err, resumeFrom) => this.background(new Error(
          `the watch of ${JSON.stringify(prefix)} lost its stream (${err.message}); reopening it from revision ${resumeFrom}`,
        )),
        onEnd: () => this.watches.delete(attempt),
      });
      this.watches.add(attempt);
      // a member that takes the stream but never answers (its packets dropped) must not hold the start
      await withDeadline(attempt.start(), deadline, () => void attempt.cancel());
      return attempt;
    });
    // close() while it started: it was ended with the others
    this.assertOpen();
    return { cancel: () => watch.cancel() };
  }

  async grantLease(ttlSeconds: number): Promise<Lease> {
    this.assertOpen();
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1) {
      throw new TypeError(`lease TTL must be a whole number of seconds >= 1, got ${ttlSeconds}`);
    }
    for (let draw = 1; ; draw++) {
      const id = randomInt(1, LEASE_ID_LIMIT);
      try {
        // a grant of an id drawn here is safe to repeat: "already exists" on a repeat means the first went through
        let repeated = false;
        const response = await this.call('quick', async (c, deadline) => {
          try {
            return await c.leaseClient.leaseGrant({ TTL: ttlSeconds, ID: id }, { deadline });
          } catch (err) {
            if (repeated && isLeaseAlreadyExists(err)) return { ID: String(id), TTL: String(ttlSeconds), error: '' };
            throw err;
          } finally {
            repeated = true;
          }
        });
        if (response.error) throw new Error(`etcd refused the lease: ${response.error}`);
        // etcd raises a TTL below its minimum (1.5 x the election timeout, 2 s by default); a repeated grant
        // reports the TTL asked for, never more than was granted
        return { id: int64(response.ID, 'lease id'), ttlSeconds: int64(response.TTL, 'lease TTL') };
      } catch (err) {
        if (!isLeaseAlreadyExists(err) || draw >= LEASE_GRANT_DRAWS) throw err;
      }
    }
  }

  async keepAlive(leaseId: number): Promise<boolean> {
    assertLeaseId(leaseId);
    // a refresh is safe to repeat
    return this.call('quick', (c, deadline) => this.keepAliveOnce(c, leaseId, deadline));
  }

  async revoke(leaseId: number): Promise<void> {
    assertLeaseId(leaseId);
    try {
      await this.call('quick', (c, deadline) => c.leaseClient.leaseRevoke({ ID: leaseId }, { deadline }), leaseId);
    } catch (err) {
      // unknown, expired or already revoked: the keys are gone either way
      if (err instanceof LeaseNotFoundError) return;
      throw err;
    }
  }

  async revision(): Promise<number> {
    // any linearizable read carries the current revision in its header
    const response = await this.call('quick', (c, deadline) => c.kv.range({ key: Buffer.from([0]), limit: 1, count_only: true }, { deadline }));
    return headerRevision(response);
  }

  async compact(revision: number): Promise<void> {
    this.assertOpen();
    if (!Number.isSafeInteger(revision) || revision < 1) {
      throw new TypeError(`compact revision must be a whole number >= 1, got ${revision}`);
    }
    try {
      await this.call('read', (c, deadline) => c.kv.compact({ revision }, { deadline }));
    } catch (err) {
      // compacted that far already: nothing to do, as in the SQLite backend
      if (isAlreadyCompacted(err)) return;
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const watch of [...this.watches]) await watch.cancel();
    for (const m of this.members.values()) m.client.close();
  }

  /**
   * Runs one call to etcd: tries the members in MemberChoice's order, each attempt with its deadline
   * (ATTEMPT_MS of its kind, never past the call's own), round after round with pauses (core/backoff.ts)
   * until the call's time is up. Rejects with StoreClosedError once closed, turns etcd's "lease not found"
   * into LeaseNotFoundError for `leaseId`, and a failure into StoreUnavailableError (or, for a write that
   * may have been applied, StoreWriteOutcomeUnknownError: it is never sent again). `fn` gets the member's
   * client, the attempt's deadline and the member's endpoint.
   */
  private async call<T>(kind: CallKind, fn: (client: Etcd3, deadline: number, endpoint: string) => Promise<T>, leaseId?: number): Promise<T> {
    this.assertOpen();
    const endAt = Date.now() + this.callTimeoutMs;
    let lastError: unknown;
    for (let round = 0; ; round++) {
      for (const endpoint of this.choice.order(kind === 'write' ? 'write' : 'read', Date.now())) {
        const left = endAt - Date.now();
        if (left <= 0) break;
        const deadline = Date.now() + Math.min(left, ATTEMPT_MS[kind]);
        try {
          const result = await fn(this.members.get(endpoint)!.client, deadline, endpoint);
          this.choice.answered(endpoint);
          return result;
        } catch (err) {
          if (this.closed) throw new StoreClosedError();
          if (memberDidNotAnswer(err)) this.choice.unreachable(endpoint, Date.now());
          else this.choice.answered(endpoint);
          if (isLeaseNotFound(err)) throw new LeaseNotFoundError(leaseId ?? 0);
          // refused whole, and every member will refuse it until the operator acts: no retry, no "may have been made"
          if (isSpaceExceeded(err)) throw new StoreFullError(this.name, `etcd's database reached its space quota (${messageOf(err)}; etcd's NOSPACE alarm is raised): compact and defragment etcd (etcdctl compact, etcdctl defrag), raise its --quota-backend-bytes if that is too small, then clear the alarm (etcdctl alarm disarm)`);
          // the cluster runs with lower limits than this client was told: say so, never a raw gRPC error
          const over = isOverRequestLimit(err);
          if (over) throw new StoreLimitError(over, `${this.name} refused a write within the limits Paz writes to (${this.limits.maxTxnOps} operations, ${this.limits.maxTxnBytes} bytes per txn): ${messageOf(err)}; run etcd with --max-txn-ops and --max-request-bytes at least that high (etcd's defaults), or give Paz the cluster's own in the store URL (etcd://host:2379?max-txn-ops=N&max-request-bytes=N)`, true);
          const next = afterFailedAttempt(err, kind !== 'write');
          if (next === 'refused') throw err;
          // a write sent, and no word whether it was applied: repeating it could apply it twice
          if (next === 'outcome-unknown') throw new StoreWriteOutcomeUnknownError(this.name, `${endpoint}: ${messageOf(err)}`);
          lastError = moreTellingError(lastError, err);
        }
      }
      const left = endAt - Date.now();
      // a member cut off from the quorum, or none reachable: one error type callers can answer 503 with
      if (left <= 0) throw new StoreUnavailableError(this.name, `${lastError === undefined ? 'no member was tried' : messageOf(lastError)}${kind === 'write' ? ' (nothing was written)' : ''}`);
      await sleep(Math.min(left, backoffDelayMs(round, RETRY_BACKOFF)));
      this.assertOpen();
    }
  }

  /** One keep-alive request on its own stream: etcd answers TTL 0 for a lease that is gone. */
  private async keepAliveOnce(client: Etcd3, leaseId: number, deadline: number): Promise<boolean> {
    const stream: IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse> = await client.leaseClient.leaseKeepAlive({ deadline });
    return new Promise<boolean>((resolve, reject) => {
      stream.on('data', (response: ILeaseKeepAliveResponse) => {
        resolve(int64(response.TTL, 'lease TTL') > 0);
        closeQuietly(stream);
      });
      stream.on('error', reject);
      stream.on('end', () => reject(new Error('14 UNAVAILABLE: etcd ended the keep-alive stream without an answer')));
      stream.write({ ID: leaseId });
    });
  }

  /** A watch stream on `endpoint`; a member found not answering through it goes to the back of the line. */
  private async openWatchStream(endpoint: string): Promise<WatchStream> {
    const stream = await this.members.get(endpoint)!.client.watchClient.watch();
    stream.on('error', (err: Error) => {
      if (memberDidNotAnswer(err)) this.choice.unreachable(endpoint, Date.now());
    });
    return stream;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  private background(err: Error): void {
    if (this.closed) return;
    this.onBackgroundError(err);
  }
}

/**
 * `promise`, or a DEADLINE_EXCEEDED rejection at `deadline` (after `onLate`): for what has no gRPC deadline
 * of its own, such as the start of a watch stream.
 */
async function withDeadline<T>(promise: Promise<T>, deadline: number, onLate: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onLate();
      reject(new Error('4 DEADLINE_EXCEEDED: the member did not answer in time'));
    }, Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function assertLeaseId(leaseId: number): void {
  if (!Number.isSafeInteger(leaseId)) throw new TypeError(`a lease id is a whole number, got ${leaseId}`);
}
