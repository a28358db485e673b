/**
 * Pure reading of the errors that etcd (through etcd3 and @grpc/grpc-js) rejects with. They arrive as
 * messages such as "14 UNAVAILABLE: No connection established ..." or "3 INVALID_ARGUMENT: etcdserver:
 * duplicate key given in txn request", so the tests here are on message text, etcd's stable wording.
 */

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** etcd: a put, txn, keep-alive or revoke named a lease that expired, was revoked or never existed. */
export function isLeaseNotFound(err: unknown): boolean {
  return /requested lease not found/.test(messageOf(err));
}

/** etcd (or gRPC in front of it): a txn with more ops than --max-txn-ops, or a request over --max-request-bytes. */
export function isOverRequestLimit(err: unknown): 'TXN_TOO_MANY_OPS' | 'TXN_TOO_LARGE' | undefined {
  const message = messageOf(err);
  if (/too many operations in txn request/.test(message)) return 'TXN_TOO_MANY_OPS';
  if (/request is too large|received message larger than max/.test(message)) return 'TXN_TOO_LARGE';
  return undefined;
}

/**
 * etcd: its database reached its space quota (--quota-backend-bytes, 2 GiB by default); it raised its NOSPACE
 * alarm and refuses every write (and lease grant) until an operator frees space and clears the alarm. The
 * write was refused before it was proposed: nothing was applied.
 */
export function isSpaceExceeded(err: unknown): boolean {
  return /etcdserver: mvcc: database space exceeded/.test(messageOf(err));
}

/** etcd: a grant asked for a lease id that is taken. */
export function isLeaseAlreadyExists(err: unknown): boolean {
  return /lease already exists/.test(messageOf(err));
}

/** etcd: a compaction to a revision at or below the current compaction point. */
export function isAlreadyCompacted(err: unknown): boolean {
  return /required revision has been compacted/.test(messageOf(err));
}

/**
 * The call never reached etcd, or etcd refused it before doing anything: grpc-js had no connection to send
 * it on (or its deadline passed while it waited for one: "Waiting for LB pick"), a circuit breaker refused
 * to try, or the member answered that it has no leader (the store client asks every member to refuse a
 * call when it has none, etcd's "hasleader" metadata, so that answer comes before any work) or too many
 * requests. Repeating such a call cannot apply a write twice.
 *
 * "raft proposal dropped" (etcd sends it as "2 UNKNOWN", having no gRPC code for it): the member took the
 * write but its raft refused to append it, because it had no leader or its leader was handing over the lead.
 * The write never entered the log. etcd checks "hasleader" when the call arrives, so this comes from a member
 * that lost its leader in the short time between that check and the proposal. That happens when a member is
 * cut off from the quorum, and more often when the machine is loaded.
 */
export function neverReachedEtcd(err: unknown): boolean {
  if (err instanceof Error && err.constructor.name === 'BrokenCircuitError') return true;
  return /No connection established|circuit breaker is open|Waiting for LB pick|waiting for name resolution|Channel closed before call started|Channel has been shut down|The channel has been closed|etcdserver: no leader|etcdserver: too many requests|raft proposal dropped/.test(messageOf(err));
}

/**
 * The member did not answer at all: no connection to it, the connection broke under the call, or no reply
 * within the call's deadline (a member that died with no word, or whose packets are dropped). An answer of
 * etcd's own, even an error such as "no leader" or "leader changed" during an election, is not this.
 */
export function memberDidNotAnswer(err: unknown): boolean {
  if (/etcdserver:/.test(messageOf(err))) return false;
  return /No connection established|Connection dropped|Waiting for LB pick|DEADLINE_EXCEEDED|ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|Channel closed before call started/.test(messageOf(err));
}

/**
 * The error to report after several failed attempts: the newest, unless it is only a deadline that ran out
 * and an earlier attempt said why it failed. A store that refuses this client's certificate answers each
 * attempt with the TLS alert, but the last attempt, cut short by the call's own deadline, only says
 * "Deadline exceeded ... waiting for name resolution", and `paz server` then told the operator to check the
 * address instead of to give --store-cert (etcd-trust test, on a busy machine).
 */
export function moreTellingError(earlier: unknown, latest: unknown): unknown {
  const onlyDeadline = (err: unknown) => /\bDEADLINE_EXCEEDED\b/.test(messageOf(err));
  return earlier !== undefined && onlyDeadline(latest) && !onlyDeadline(earlier) ? earlier : latest;
}

/**
 * The call may have failed for a passing reason (connection lost, timeout, leader change). Such a
 * write may or may not have been applied, so only calls that are safe to repeat retry on it.
 */
export function isTransient(err: unknown): boolean {
  if (neverReachedEtcd(err)) return true;
  const message = messageOf(err);
  // CANCELLED (grpc-js: an HTTP/2 stream reset under the call) and UNKNOWN (etcd: an error it has no gRPC code
  // for, e.g. "etcdserver: request cancelled") say nothing about the request itself: the store failed it
  return /\b(UNAVAILABLE|DEADLINE_EXCEEDED|ABORTED|RESOURCE_EXHAUSTED|INTERNAL)\b|etcdserver: (no leader|leader changed|request timed out)/.test(message)
    || /^\d+ (CANCELLED|UNKNOWN):/.test(message);
}

/**
 * What `EtcdStore.call` does after a failed attempt: `retry` (on the next member, or the next round),
 * `outcome-unknown` (a write that may have been applied: never sent again, reported as
 * StoreWriteOutcomeUnknownError, a StoreUnavailableError), or `refused` (etcd's own answer about the request,
 * e.g. a duplicate key in a txn, or an error that is no store failure at all, such as a bug: passed on as it is).
 * Every failure of the store to answer must end in `retry` or `outcome-unknown`, so that an API server
 * answers 503 PAZ_STORE_UNAVAILABLE and never a 500.
 */
export function afterFailedAttempt(err: unknown, idempotent: boolean): 'retry' | 'outcome-unknown' | 'refused' {
  if (shouldRetry(err, idempotent)) return 'retry';
  return isTransient(err) ? 'outcome-unknown' : 'refused';
}

/**
 * Whether to send a call again after `err`. `idempotent` calls (reads, revoke, keep-alive, compact)
 * retry on any transient error; writes (put, delete, txn, grant) only when they never reached etcd, so
 * a compare-and-set never reports "failed" for a write that in fact went through.
 */
export function shouldRetry(err: unknown, idempotent: boolean): boolean {
  return idempotent ? isTransient(err) : neverReachedEtcd(err);
}

/**
 * gRPC's "14 UNAVAILABLE: No connection established. Last error: <why> (<time>). Resolution note: ",
 * shortened to <why>; other messages as they are.
 */
function reasonOf(message: string): string {
  const last = /Last error: (?:Error: )?([\s\S]*?)(?: \(\d{4}-\d\d-\d\dT[^)]*\))?\.? Resolution note:/.exec(message);
  return (last ? last[1] : message).replace(/\s+/g, ' ').trim();
}

/**
 * What to tell the operator when the first call to the store failed at start: etcd's auth and TLS
 * failures named in words, with the flag that fixes them. `name` is the store's name (no password in it).
 */
export function describeStoreFailure(name: string, err: unknown): string {
  const message = messageOf(err);
  const reason = reasonOf(message);
  if (/authentication failed|invalid user ID or password/.test(message)) {
    return `${name} refused the user name or password: check the user and password in --store etcd://user:password@host:2379 (password URL-encoded)`;
  }
  if (/user name is empty|user name not found|invalid auth token/.test(message)) {
    return `${name} has authentication enabled: give a user and password, --store etcd://user:password@host:2379 (password URL-encoded)`;
  }
  if (/permission denied/.test(message)) {
    return `${name} accepted the user but it may not read or write Paz's keys: grant it a role with readwrite on the key prefix / (etcdctl role grant-permission --prefix)`;
  }
  // TLS alerts 40-49 (handshake failure, bad certificate, certificate required, unknown ca, ...) come from etcd
  if (/alert (bad certificate|certificate required|handshake failure)|SSL alert number 4[02]\b|alert number 116\b/.test(message)) {
    return `${name} refused this client's TLS certificate (${reason}): etcd asks for a client certificate signed by a CA it trusts; give --store-cert and --store-key (PAZ_STORE_CERT, PAZ_STORE_KEY)`;
  }
  if (/unable to verify|self[- ]signed certificate|certificate verify failed|unable to get (local )?issuer|certificate has expired|Hostname\/IP does not match/i.test(message)) {
    return `${name} showed a TLS certificate this client does not trust (${reason}): give --store-ca (PAZ_STORE_CA), the CA that signed etcd's certificate`;
  }
  if (/SSL|TLS|wrong version number|handshake/.test(message)) {
    return `${name}: the TLS connection failed (${reason}); check --store-ca, --store-cert and --store-key, and that etcd serves TLS (etcds://) or not (etcd://)`;
  }
  if (neverReachedEtcd(err) || /UNAVAILABLE/.test(message)) {
    return `could not reach ${name} (${reason}); check the address, that etcd runs, and whether it wants TLS (etcds://, --store-ca, --store-cert, --store-key)`;
  }
  return `${name} failed at start: ${message}`;
}
