/**
 * The Store on a real etcd v3 cluster (`--store etcd://host:2379,host2:2379`), through the etcd3
 * package's gRPC clients. etcd already has the Store's semantics (one revision per write, txn compares,
 * leases, watches from a revision, compaction), so this class mostly translates (etcd-mapping.ts) and
 * adds what a long-running platform needs around it:
 *
 * - watches that survive a broken gRPC stream, resuming from the first undelivered revision with
 *   nothing repeated or lost (resumable-watch.ts, watch-cursor.ts);
 * - retries that never apply a write twice: etcd3's own pool retries writes whose reply was lost, so
 *   it is told to call once, and this class repeats a write only if it never reached etcd, and a read
 *   on any passing failure (etcd-errors.ts);
 * - lease ids below 2^53, chosen here, so they stay exact as JavaScript numbers (etcd's own are
 *   random 63-bit ids).
 */
import { randomInt } from 'node:crypto';
import { Etcd3, type IDuplexStream, type ILeaseKeepAliveRequest, type ILeaseKeepAliveResponse, type IOptions } from 'etcd3';
import {
  LeaseNotFoundError,
  StoreClosedError,
  StoreLimitError,
  StoreUnavailableError,
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
import { isAlreadyCompacted, isLeaseAlreadyExists, isLeaseNotFound, isOverRequestLimit, isTransient, shouldRetry } from './etcd-errors.js';
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
import { closeQuietly, ResumableWatch } from './resumable-watch.js';
import { validateOp } from '../validate-op.js';
import { backoffDelayMs } from '../../core/backoff.js';

export interface EtcdStoreOptions {
  /** bound of one call to etcd (default 30 s): a member that stopped answering fails the call, not hangs it */
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

/**
 * bound of one read (a range): reads are repeated on another member when they fail, so one sent to a member
 * that died unannounced costs this long instead of the whole call timeout (every loop of the control plane
 * and the agents reads; a 30 s hang there held a lost host's units 30 s longer).
 */
const READ_DEADLINE_MS = 5_000;

/** attempts of one call, and the pauses between them: 100 ms after the first failure, then twice that */
const MAX_ATTEMPTS = 3;
const RETRY_BACKOFF = { initialMs: 100, maxMs: 200 };
/**
 * the deadline of one attempt of a small call that is safe to repeat (a lease keep-alive, the revision):
 * etcd answers one in milliseconds, but its client sends each call to a member picked at random, and one
 * sent to a member whose packets are dropped (a partition) or that died with no word (a power cut) would
 * wait out the whole call timeout, longer than a lease lives: a healthy host's 10 s lease expired while two
 * members were fine. Cut short, the attempt is repeated on another member.
 */
const QUICK_ATTEMPT_MS = 2_000;
/** lease ids are drawn from [1, 2^48): exact as numbers, and a clash (etcd says so) just draws again */
const LEASE_ID_LIMIT = 2 ** 48;
const LEASE_GRANT_DRAWS = 5;

type GlobalPolicy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

/**
 * etcd3's connection pool runs every call through this; its default retries any "recoverable" error
 * 3 times, writes included. Only `execute` is used by the pool.
 */
const CALL_ONCE = {
  execute: async (fn: (context: { signal: AbortSignal }) => unknown) => fn({ signal: new AbortController().signal }),
} as unknown as GlobalPolicy;

export class EtcdStore implements Store {
  readonly name: string;
  readonly limits: StoreLimits;
  private readonly client: Etcd3;
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
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000;
    this.limits = {
      maxTxnOps: options.limits?.maxTxnOps ?? ETCD_DEFAULT_MAX_TXN_OPS,
      maxTxnBytes: options.limits?.maxTxnBytes ?? ETCD_DEFAULT_MAX_REQUEST_BYTES - REQUEST_HEADER_MARGIN_BYTES,
    };
    this.onBackgroundError = options.onBackgroundError
      ?? ((err) => process.emitWarning(`${this.name}: ${err.message}`, { type: 'PazStoreWarning' }));
    this.client = new Etcd3({
      hosts,
      grpcOptions: {
        // a range of many keys can exceed grpc-js's default 4 MiB; etcd itself sets no reply limit
        'grpc.max_receive_message_length': -1,
        // notice a dead member under an open watch stream; etcd accepts pings every 5 s or slower
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
      },
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + (context.method === 'range' ? Math.min(this.callTimeoutMs, READ_DEADLINE_MS) : this.callTimeoutMs) }),
      faultHandling: { global: CALL_ONCE },
      ...(options.auth ? { auth: { username: options.auth.username, password: options.auth.password } } : {}),
      // grpc-js takes no root certificate as "the system's"
      ...(options.tls ? { credentials: { rootCertificate: options.tls.ca as Buffer, privateKey: options.tls.key, certChain: options.tls.cert } } : {}),
    });
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const response = await this.call(true, () => this.client.kv.range({ key: Buffer.from(key, 'utf8') }));
    return response.kvs.length > 0 ? toKeyValue(response.kvs[0]) : undefined;
  }

  async range(prefix: string): Promise<RangeResult> {
    // etcd returns a range in key order (byte-wise, i.e. code-point order)
    const response = await this.call(true, () => this.client.kv.range(prefixRange(prefix)));
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
          const response = await this.call(true, () => this.client.kv.range({ ...prefixRange(p), revision: first.revision }));
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
    const response = await this.call(false, () => this.client.kv.put(request), opts.lease);
    return headerRevision(response);
  }

  async delete(key: string): Promise<number> {
    validateOp({ type: 'delete', key });
    const response = await this.call(false, () => this.client.kv.deleteRange({ key: Buffer.from(key, 'utf8') }));
    return int64(response.deleted, 'deleted');
  }

  async deletePrefix(prefix: string): Promise<number> {
    validateOp({ type: 'deletePrefix', prefix });
    const response = await this.call(false, () => this.client.kv.deleteRange(prefixRange(prefix)));
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
    const response = await this.call(false, () => this.client.kv.txn(request), lease);
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
    const watch = await this.call(true, async () => {
      const attempt: ResumableWatch = new ResumableWatch({
        openStream: () => this.client.watchClient.watch(),
        range,
        startRevision,
        listener,
        onError,
        onDisconnect: (err, resumeFrom) => this.background(new Error(
          `the watch of ${JSON.stringify(prefix)} lost its stream (${err.message}); reopening it from revision ${resumeFrom}`,
        )),
        onEnd: () => this.watches.delete(attempt),
      });
      this.watches.add(attempt);
      await attempt.start();
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
        const response = await this.call(false, () => this.client.leaseClient.leaseGrant({ TTL: ttlSeconds, ID: id }));
        if (response.error) throw new Error(`etcd refused the lease: ${response.error}`);
        // etcd raises a TTL below its minimum (1.5 x the election timeout, 2 s by default)
        return { id: int64(response.ID, 'lease id'), ttlSeconds: int64(response.TTL, 'lease TTL') };
      } catch (err) {
        if (!isLeaseAlreadyExists(err) || draw >= LEASE_GRANT_DRAWS) throw err;
      }
    }
  }

  async keepAlive(leaseId: number): Promise<boolean> {
    assertLeaseId(leaseId);
    // a refresh is safe to repeat
    return this.call(true, () => this.keepAliveOnce(leaseId));
  }

  async revoke(leaseId: number): Promise<void> {
    assertLeaseId(leaseId);
    try {
      await this.call(true, () => this.client.leaseClient.leaseRevoke({ ID: leaseId }), leaseId);
    } catch (err) {
      // unknown, expired or already revoked: the keys are gone either way
      if (err instanceof LeaseNotFoundError) return;
      throw err;
    }
  }

  async revision(): Promise<number> {
    // any linearizable read carries the current revision in its header
    const response = await this.call(true, () => this.client.kv.range({ key: Buffer.from([0]), limit: 1, count_only: true }, { deadline: this.quickDeadline() }));
    return headerRevision(response);
  }

  async compact(revision: number): Promise<void> {
    this.assertOpen();
    if (!Number.isSafeInteger(revision) || revision < 1) {
      throw new TypeError(`compact revision must be a whole number >= 1, got ${revision}`);
    }
    try {
      await this.call(true, () => this.client.kv.compact({ revision }));
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
    this.client.close();
  }

  /**
   * Runs one call to etcd: rejects with StoreClosedError once closed, repeats it while shouldRetry
   * says so (bounded), and turns etcd's "lease not found" into LeaseNotFoundError for `leaseId`.
   */
  private async call<T>(idempotent: boolean, fn: () => Promise<T>, leaseId?: number): Promise<T> {
    this.assertOpen();
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (this.closed) throw new StoreClosedError();
        if (isLeaseNotFound(err)) throw new LeaseNotFoundError(leaseId ?? 0);
        // the cluster runs with lower limits than this client was told: say so, never a raw gRPC error
        const over = isOverRequestLimit(err);
        if (over) throw new StoreLimitError(over, `${this.name} refused a write over its limits (${messageOf(err)}); start Paz with the cluster's real --max-txn-ops and --max-request-bytes`);
        if (attempt >= MAX_ATTEMPTS || !shouldRetry(err, idempotent)) {
          // a member cut off from the quorum, or none reachable: one error type callers can answer 503 with
          if (isTransient(err)) throw new StoreUnavailableError(this.name, messageOf(err));
          throw err;
        }
        await new Promise((resolve) => setTimeout(resolve, backoffDelayMs(attempt - 1, RETRY_BACKOFF)));
        this.assertOpen();
      }
    }
  }

  /** One keep-alive request on its own stream: etcd answers TTL 0 for a lease that is gone. */
  private async keepAliveOnce(leaseId: number): Promise<boolean> {
    const stream: IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse> =
      await this.client.leaseClient.leaseKeepAlive({ deadline: this.quickDeadline() });
    return new Promise<boolean>((resolve, reject) => {
      stream.on('data', (response: ILeaseKeepAliveResponse) => {
        resolve(int64(response.TTL, 'lease TTL') > 0);
        closeQuietly(stream);
      });
      stream.on('error', reject);
      stream.on('end', () => reject(new Error('etcd ended the keep-alive stream without an answer')));
      stream.write({ ID: leaseId });
    });
  }

  private quickDeadline(): number {
    return Date.now() + Math.min(this.callTimeoutMs, QUICK_ATTEMPT_MS);
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  private background(err: Error): void {
    if (this.closed) return;
    this.onBackgroundError(err);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function assertLeaseId(leaseId: number): void {
  if (!Number.isSafeInteger(leaseId)) throw new TypeError(`a lease id is a whole number, got ${leaseId}`);
}
