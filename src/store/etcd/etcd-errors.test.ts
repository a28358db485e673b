import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { afterFailedAttempt, describeStoreFailure, moreTellingError, isAlreadyCompacted, isLeaseAlreadyExists, isLeaseNotFound, isSpaceExceeded, isTransient, memberDidNotAnswer, neverReachedEtcd, shouldRetry } from './etcd-errors.js';

// the messages as etcd 3.4 / etcd3 1.1.2 / grpc-js 1.14 produce them (seen against a real etcd)
const noConnection = new Error('14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:32399. Resolution note: ');
class BrokenCircuitError extends Error {}
const circuitOpen = new BrokenCircuitError('Execution prevented because the circuit breaker is open');
const connectionDropped = new Error('14 UNAVAILABLE: Connection dropped');
const deadline = new Error('4 DEADLINE_EXCEEDED: Deadline exceeded after 30.001s');
const leaderChanged = new Error('14 UNAVAILABLE: etcdserver: leader changed');
const leaseNotFound = new Error('Lease 5 NOT_FOUND: etcdserver: requested lease not found is expired or revoked');
const duplicateKey = new Error('3 INVALID_ARGUMENT: etcdserver: duplicate key given in txn request');
// grpc-js 1.14: a deadline that passed while the call waited for a connection, and one that passed after it was sent
const deadlineBeforeSent = new Error('4 DEADLINE_EXCEEDED: Deadline exceeded after 2.002s,name resolution: 0.001s,Waiting for LB pick');
const deadlineAfterSent = new Error('4 DEADLINE_EXCEEDED: Deadline exceeded after 2.001s,name resolution: 0.001s,LB pick: 0.001s,remote_addr=10.77.0.3:2379');
const noLeader = new Error('14 UNAVAILABLE: etcdserver: no leader');
const requestTimedOut = new Error('14 UNAVAILABLE: etcdserver: request timed out');
// an etcd over its --quota-backend-bytes (seen against a real etcd 3.4 run with a 1 MiB quota)
const spaceExceeded = new Error('8 RESOURCE_EXHAUSTED: etcdserver: mvcc: database space exceeded');

describe('etcd error reading', () => {
  it('a database over its space quota is told apart from a store that does not answer', () => {
    assert.equal(isSpaceExceeded(spaceExceeded), true);
    for (const other of [noConnection, leaderChanged, deadline, duplicateKey, requestTimedOut]) assert.equal(isSpaceExceeded(other), false, other.message);
  });

  it('recognises etcd\'s lease and compaction answers', () => {
    assert.equal(isLeaseNotFound(leaseNotFound), true);
    assert.equal(isLeaseNotFound(duplicateKey), false);
    assert.equal(isLeaseAlreadyExists(new Error('9 FAILED_PRECONDITION: etcdserver: lease already exists')), true);
    assert.equal(isAlreadyCompacted(new Error('11 OUT_OF_RANGE: etcdserver: mvcc: required revision has been compacted')), true);
    assert.equal(isAlreadyCompacted(new Error('11 OUT_OF_RANGE: etcdserver: mvcc: required revision is a future revision')), false);
  });

  it('knows when a call never reached etcd', () => {
    assert.equal(neverReachedEtcd(noConnection), true);
    assert.equal(neverReachedEtcd(circuitOpen), true);
    assert.equal(neverReachedEtcd(connectionDropped), false);
    assert.equal(neverReachedEtcd(deadline), false);
    // grpc-js says where the deadline found the call: still waiting for a connection is "never sent"
    assert.equal(neverReachedEtcd(deadlineBeforeSent), true);
    assert.equal(neverReachedEtcd(deadlineAfterSent), false);
    // refused before any work (the client asks for "hasleader"), unlike a leader change or timeout under way
    assert.equal(neverReachedEtcd(noLeader), true);
    assert.equal(neverReachedEtcd(leaderChanged), false);
    assert.equal(neverReachedEtcd(requestTimedOut), false);
  });

  it('tells a member that did not answer from one that answered with an election error', () => {
    for (const err of [noConnection, connectionDropped, deadline, deadlineBeforeSent, deadlineAfterSent]) {
      assert.equal(memberDidNotAnswer(err), true, err.message);
    }
    for (const err of [noLeader, leaderChanged, requestTimedOut, duplicateKey, leaseNotFound]) {
      assert.equal(memberDidNotAnswer(err), false, err.message);
    }
  });

  it('retries a write only when it never reached etcd, so it is never applied twice', () => {
    assert.equal(shouldRetry(noConnection, false), true);
    assert.equal(shouldRetry(circuitOpen, false), true);
    for (const err of [connectionDropped, deadline, leaderChanged, duplicateKey, leaseNotFound]) {
      assert.equal(shouldRetry(err, false), false, err.message);
    }
  });

  it('retries a read on any passing failure, and never on a refusal', () => {
    for (const err of [noConnection, circuitOpen, connectionDropped, deadline, leaderChanged]) {
      assert.equal(isTransient(err), true, err.message);
      assert.equal(shouldRetry(err, true), true, err.message);
    }
    assert.equal(shouldRetry(duplicateKey, true), false);
    assert.equal(shouldRetry(leaseNotFound, true), false);
    assert.equal(shouldRetry('not even an error', true), false);
  });
});

describe('afterFailedAttempt: a store that does not answer is never passed on as a raw error (an API 500)', () => {
  // etcd 3.4 answers a proposal its raft dropped (the member lost its leader between the "hasleader" check and
  // the proposal, or a leader transfer was under way) with an error it has no gRPC code for: UNKNOWN
  const proposalDropped = new Error('2 UNKNOWN: raft proposal dropped');
  // etcd's ErrCanceled has no gRPC code either
  const requestCancelled = new Error('2 UNKNOWN: etcdserver: request cancelled');
  // grpc-js: the HTTP/2 stream was reset under the call (RST_STREAM CANCEL) without a connection drop seen first
  const streamCancelled = new Error('1 CANCELLED: Call cancelled');
  const unhealthy = new Error('14 UNAVAILABLE: etcdserver: unhealthy cluster');
  const rstInternal = new Error('13 INTERNAL: Received RST_STREAM with code 2 (Internal server error)');
  // grpc-js, a call made on a channel already closed (etcd3 closes a member's channel after some errors)
  const channelShutDown = new Error('Channel has been shut down');
  const notAnswering = [noConnection, circuitOpen, connectionDropped, deadline, deadlineBeforeSent, deadlineAfterSent, noLeader, leaderChanged, requestTimedOut, proposalDropped, requestCancelled, streamCancelled, unhealthy, rstInternal, channelShutDown];

  it('a read is tried again on every failure of the store to answer', () => {
    for (const err of notAnswering) assert.equal(afterFailedAttempt(err, true), 'retry', err.message);
  });

  it('a write is tried again, or reported as perhaps made (a StoreUnavailableError), never passed on raw', () => {
    for (const err of notAnswering) assert.notEqual(afterFailedAttempt(err, false), 'refused', err.message);
  });

  it('a proposal raft dropped never entered the log: the write goes to another member', () => {
    assert.equal(neverReachedEtcd(proposalDropped), true);
    assert.equal(afterFailedAttempt(proposalDropped, false), 'retry');
    assert.equal(memberDidNotAnswer(proposalDropped), false, 'the member answered: it keeps its place');
  });

  it('a write etcd may have applied is never sent again', () => {
    for (const err of [connectionDropped, deadlineAfterSent, leaderChanged, requestTimedOut, requestCancelled, streamCancelled]) {
      assert.equal(afterFailedAttempt(err, false), 'outcome-unknown', err.message);
    }
  });

  it("etcd's answers about the request itself, and errors that are no store failure, are passed on as they are", () => {
    const refusals = [duplicateKey, leaseNotFound, new Error('7 PERMISSION_DENIED: etcdserver: permission denied'), new Error('11 OUT_OF_RANGE: etcdserver: mvcc: required revision is a future revision'), new TypeError('Cannot read properties of undefined (reading \'kvs\')')];
    for (const err of refusals) {
      assert.equal(afterFailedAttempt(err, true), 'refused', err.message);
      assert.equal(afterFailedAttempt(err, false), 'refused', err.message);
    }
  });
});

describe('describeStoreFailure', () => {
  // messages seen from etcd 3.4 with auth enabled, and with --client-cert-auth (through etcd3 and grpc-js)
  const name = 'etcds://root@127.0.0.1:2379';
  const cases: Array<[string, Error, RegExp]> = [
    ['wrong password', new Error('etcdserver: authentication failed, invalid user ID or password'), /refused the user name or password: check the user and password in --store/],
    ['no user given', new Error('etcdserver: user name is empty'), /has authentication enabled: give a user and password/],
    ['no client certificate', new Error('14 UNAVAILABLE: No connection established. Last error: 809C641A077F0000:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 42\n (2026-11-29T02:42:25.261Z). Resolution note: '), /refused this client's TLS certificate .*give --store-cert and --store-key/],
    ['etcd certificate not trusted', new Error('14 UNAVAILABLE: No connection established. Last error: Error: unable to verify the first certificate. Resolution note: '), /\(unable to verify the first certificate\): give --store-ca/],
    ['not reachable', noConnection, /^could not reach etcds:\/\/root@127\.0\.0\.1:2379 \(connect ECONNREFUSED 127\.0\.0\.1:32399\); check the address/],
  ];
  for (const [what, err, expected] of cases) {
    it(`says what to fix: ${what}`, () => assert.match(describeStoreFailure(name, err), expected));
  }
});

describe('moreTellingError: what a call that failed several times reports', () => {
  const alert = new Error('14 UNAVAILABLE: No connection established. Last error: 809C641A077F0000:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 42\n (2026-11-29T02:42:25.261Z). Resolution note: ');
  const deadline = new Error('4 DEADLINE_EXCEEDED: Deadline exceeded after 0.000s,waiting for name resolution');

  it('keeps why an earlier attempt failed when the last one only ran out of time', () => {
    const reported = moreTellingError(alert, deadline);
    assert.equal(reported, alert);
    assert.match(describeStoreFailure('etcds://127.0.0.1:2379', reported), /refused this client's TLS certificate .*give --store-cert and --store-key/);
  });

  it('reports the newest error otherwise', () => {
    const refused = new Error('14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:2379');
    assert.equal(moreTellingError(undefined, deadline), deadline);
    assert.equal(moreTellingError(deadline, alert), alert);
    assert.equal(moreTellingError(alert, refused), refused);
    const later = new Error('4 DEADLINE_EXCEEDED: Deadline exceeded after 2.000s');
    assert.equal(moreTellingError(deadline, later), later);
  });
});
