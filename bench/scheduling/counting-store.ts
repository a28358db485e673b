/**
 * A Store that counts what is asked of the store underneath: calls, keys written, keys read. On a machine
 * shared with other work the rates move from run to run; these counts do not, so they show what a change
 * to the control plane or the agent saves whatever the machine was doing.
 */
import type { Store, TxnOp } from '../../src/store/store.js';

export interface StoreCounts {
  /** round trips: get, range, rangeMany, put, delete, deletePrefix, txn */
  calls: number;
  writeCalls: number;
  /** keys put or deleted (deletePrefix counts 1) */
  keysWritten: number;
  /** keys returned by get, range and rangeMany */
  keysRead: number;
  /** write calls by what their keys are (a txn mixing kinds counts under each kind it holds) */
  writesPlacement: number;
  writesStatus: number;
  writesEndpoint: number;
  writesHeartbeat: number;
  writesOther: number;
}

/** what a written key is, for the write counts by kind */
function kindOf(key: string): 'writesPlacement' | 'writesStatus' | 'writesEndpoint' | 'writesHeartbeat' | 'writesOther' {
  if (key.startsWith('/paz/units/desired/')) return 'writesPlacement';
  if (key.startsWith('/paz/units/status/')) return 'writesStatus';
  if (key.startsWith('/paz/services/')) return 'writesEndpoint';
  if (key.startsWith('/paz/hosts/') || key.startsWith('/paz/known-hosts/')) return 'writesHeartbeat';
  return 'writesOther';
}

export function emptyCounts(): StoreCounts {
  return { calls: 0, writeCalls: 0, keysWritten: 0, keysRead: 0, writesPlacement: 0, writesStatus: 0, writesEndpoint: 0, writesHeartbeat: 0, writesOther: 0 };
}

/**
 * `committed`: told of every write the store acknowledged, with its ops and the moment (performance.now()), so
 * the bench can time a placement when the store has it rather than when a watcher hears of it
 */
export function countingStore(inner: Store, counts: StoreCounts, committed?: (ops: TxnOp[], at: number) => void): Store {
  const write = (ops: number, written: string[]) => {
    counts.calls++;
    counts.writeCalls++;
    counts.keysWritten += ops;
    for (const kind of new Set(written.map(kindOf))) counts[kind]++;
  };
  const wrapper: Store = {
    name: inner.name,
    limits: inner.limits,
    async get(key) {
      counts.calls++;
      const kv = await inner.get(key);
      if (kv) counts.keysRead++;
      return kv;
    },
    async range(prefix) {
      counts.calls++;
      const r = await inner.range(prefix);
      counts.keysRead += r.kvs.length;
      return r;
    },
    async rangeMany(prefixes) {
      counts.calls++;
      const r = await inner.rangeMany(prefixes);
      for (const kvs of r.ranges) counts.keysRead += kvs.length;
      return r;
    },
    async put(key, value, opts) {
      write(1, [key]);
      const r = await inner.put(key, value, opts);
      committed?.([{ type: 'put', key, value }], performance.now());
      return r;
    },
    delete(key) {
      write(1, [key]);
      return inner.delete(key);
    },
    deletePrefix(prefix) {
      write(1, [prefix]);
      return inner.deletePrefix(prefix);
    },
    async txn(req) {
      write(req.success.length, req.success.map((op) => ('key' in op ? op.key : op.prefix)));
      const r = await inner.txn(req);
      if (r.succeeded) committed?.(req.success, performance.now());
      return r;
    },
    watch: (prefix, listener, opts) => inner.watch(prefix, listener, opts),
    grantLease: (ttl) => inner.grantLease(ttl),
    keepAlive: (id) => inner.keepAlive(id),
    revoke: (id) => inner.revoke(id),
    revision: () => inner.revision(),
    compact: (revision) => inner.compact(revision),
    close: () => inner.close(),
  };
  return wrapper;
}
