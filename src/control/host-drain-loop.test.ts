// The host-drain loop on a real (SQLite) store: while a host is drained it follows units, hosts and statuses by
// watch. Its passes (one a second, for as long as the drain lasts) used to read all of them every time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store, TxnOp } from '../store/store.js';
import { storeWith } from '../store/store-with.js';
import { keys } from '../core/keys.js';
import type { DesiredUnit, HostRecord, UnitStatus } from '../core/records.js';
import { Directory } from '../state/directory.js';
import { Deploys } from '../state/deploys.js';
import { HostDrains } from '../state/host-drains.js';
import { HostDrainLoop } from './host-drain-loop.js';

const N = 300;
const HOSTS = ['h1', 'h2', 'h3'];
const host = (id: string): HostRecord => ({
  id, hostname: id, ip: '127.0.0.1', labels: {}, cpus: 2, memoryBytes: 8 * 1024 ** 3, version: '0', agentUrl: '', driver: 'process', startedAt: 0, heartbeatAt: Date.now(),
});

/** the store, recording the prefixes read with range and rangeMany */
function recording(inner: Store): { store: Store; ranges: string[] } {
  const ranges: string[] = [];
  const store = storeWith(inner, {
    range: (prefix) => (ranges.push(prefix), inner.range(prefix)),
    rangeMany: (prefixes) => (ranges.push(...prefixes), inner.rangeMany(prefixes)),
  });
  return { store, ranges };
}

async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const units = async (store: Store) => (await store.range(keys.desiredUnitsOf('web'))).kvs.map((kv) => ({ kv, u: JSON.parse(kv.value) as DesiredUnit }));
const whole = (prefix: string) => prefix === keys.desiredUnitsPrefix() || prefix.startsWith(keys.desiredUnitsPrefix()) || prefix === keys.hostsPrefix() || prefix === keys.unitStatusPrefix();

test('a drained host: replacements made, old units retired once they are healthy, and no pass reads the cluster again', async () => {
  const raw = new SqliteStore(':memory:');
  const { store, ranges } = recording(raw);
  const loop = new HostDrainLoop(store, pino({ level: 'silent' }), Date.now, 50);
  try {
    for (const id of HOSTS) await raw.put(keys.host(id), JSON.stringify(host(id)));
    await new Directory(raw).create({ name: 'web', dockerRepository: 'team/web', numInstances: N });
    const deploys = new Deploys(raw);
    deploys.placeWith(async (fresh) => fresh.map((u, i) => ({ unit: u.unit, host: HOSTS[i % HOSTS.length] })));
    await deploys.deploy('web', { trigger: { source: 'api' } });
    const onH1 = (await units(raw)).filter(({ u }) => u.host === 'h1').map(({ u }) => u.unit);
    assert.equal(onH1.length, N / 3);

    await new HostDrains(raw).set('h1', true, 'test');
    await loop.start();
    const replacements = await eventually('a replacement for each unit of h1', async () => {
      const r = (await units(raw)).filter(({ u }) => u.replaces !== undefined);
      return r.length === onH1.length ? r : undefined;
    });
    assert.deepEqual(replacements.map(({ u }) => u.replaces).sort(), [...onH1].sort());

    // passes go on (every 50 ms here) while the drain waits for the replacements: none reads the cluster
    const seen = ranges.length;
    await new Promise((r) => setTimeout(r, 500));
    // the replacements placed and healthy for long enough, as the placement loop and their agents would write
    const ops: TxnOp[] = [];
    for (const [i, { u }] of replacements.entries()) {
      const placed = { ...u, host: HOSTS[1 + (i % 2)], placedAt: Date.now() } satisfies DesiredUnit;
      const status: UnitStatus = { unit: u.unit, host: placed.host, state: 'healthy', healthy: true, restarts: 0, image: 'x', healthySince: Date.now() - 60_000, updatedAt: Date.now() };
      ops.push({ type: 'put', key: keys.desiredUnit('web', u.unit), value: JSON.stringify(placed) }, { type: 'put', key: keys.unitStatus(u.unit), value: JSON.stringify(status) });
    }
    await raw.txn({ compare: [], success: ops });
    await eventually('every old unit of h1 retired', async () => (await units(raw)).filter(({ u }) => onH1.includes(u.unit) && u.drainingSince !== undefined).length === onH1.length);
    const later = ranges.slice(seen).filter(whole);
    assert.deepEqual(later, [], 'passes followed the units, hosts and statuses by watch, without reading them');
    assert.ok(ranges.slice(0, seen).some(whole), 'the first pass of the drain read them (once)');

    // the moves done and h1 undrained: nothing to follow, the views close (the replacements still name the units
    // they replaced); a later drain reads the cluster afresh
    await new HostDrains(raw).set('h1', false, 'test');
    await new Promise((r) => setTimeout(r, 300));
    const idle = ranges.length;
    await new HostDrains(raw).set('h2', true, 'test');
    await eventually('the next drain read the cluster again', async () => ranges.slice(idle).some(whole));
  } finally {
    await loop.stop();
    await raw.close();
  }
});
