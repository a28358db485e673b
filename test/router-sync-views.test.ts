// test-lane: light
/**
 * A host's router follows the store from watches, not from reads: with 1,000 desired units in the cluster, a
 * change (an endpoint announced, a unit draining, a new version committed) reaches a real HAProxy without the
 * router reading the units or the endpoints again. Every agent runs a router, and each pass used to read every
 * endpoint and every desired unit of the cluster: a deploy on 100 hosts was hundreds of those reads per host.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { openStore } from '../src/store/index.js';
import type { Store } from '../src/store/store.js';
import { storeWith } from '../src/store/store-with.js';
import { keys, SERVICES_PREFIX } from '../src/core/keys.js';
import type { DesiredUnit } from '../src/core/records.js';
import { Directory } from '../src/state/directory.js';
import { Deploys } from '../src/state/deploys.js';
import { LeaseSession } from '../src/state/lease-session.js';
import { RouterSync } from '../src/agent/router-sync.js';
import { freePort, get, startBackend, tally, waitFor, type Backend } from './router-fixtures.js';

const logger = pino({ level: process.env.PAZ_TEST_LOG ?? 'silent' });
const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** The store, recording every prefix read with range/rangeMany and every key read with get. */
function recording(inner: Store): { store: Store; ranges: string[]; gets: string[] } {
  const ranges: string[] = [];
  const gets: string[] = [];
  const store = storeWith(inner, {
    range: (prefix) => (ranges.push(prefix), inner.range(prefix)),
    rangeMany: (prefixes) => (ranges.push(...prefixes), inner.rangeMany(prefixes)),
    get: (key) => (gets.push(key), inner.get(key)),
  });
  return { store, ranges, gets };
}

async function routedTo(port: number, n = 12): Promise<Record<string, number>> {
  const bodies: string[] = [];
  for (let i = 0; i < n; i++) bodies.push((await get(port, 'web.paz')).body);
  return tally(bodies);
}

test('endpoints, drains and commits reach the router by watch: no pass reads the units or endpoints again', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'paz-router-views-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const raw = await openStore(`sqlite:${join(dir, 'paz.db')}`);
  cleanups.push(() => raw.close());
  const { store, ranges, gets } = recording(raw);

  // 1,000 committed units of web (written as the API writes them), two of them answering
  await new Directory(raw).create({ name: 'web', dockerRepository: 'example/web', numInstances: 1000 });
  const deploys = new Deploys(raw);
  await deploys.deploy('web', { trigger: { source: 'api' } });
  const backends: Backend[] = await Promise.all(['web-1-1', 'web-1-2', 'web-1-3', 'web-2-1'].map(startBackend));
  cleanups.push(() => Promise.all(backends.map((b) => b.close())));
  const [b1, b2, b3, b21] = backends;
  const announce = (version: number, instance: number, b: Backend) => raw.put(keys.endpoint('web', version, instance), `127.0.0.1:${b.port}`);
  await announce(1, 1, b1);
  await announce(1, 2, b2);

  const session = new LeaseSession(raw, { ttlSeconds: 10 });
  await session.start();
  cleanups.push(() => session.stop());
  const port = await freePort();
  const runtimeDir = await mkdtemp(join(tmpdir(), 'paz-rs-'));
  cleanups.push(() => rm(runtimeDir, { recursive: true, force: true }));
  const sync = new RouterSync({ store, logger, hostId: 'host-a', runtimeDir, bindAddress: '127.0.0.1', port, session });
  await sync.start();
  cleanups.push(() => sync.stop());
  await waitFor('web.paz answered by both instances', async () => {
    const t = await routedTo(port);
    return t['web-1-1'] && t['web-1-2'] ? t : undefined;
  });
  const firstReads = ranges.length;
  assert.ok(ranges.includes(keys.desiredUnitsPrefix()) || ranges.some((p) => p.startsWith(keys.desiredUnitsPrefix())), 'the first pass read the units');

  // a third instance announced: routed, with no read of the units or endpoints
  await announce(1, 3, b3);
  await waitFor('the new instance routed', async () => ((await routedTo(port))['web-1-3'] ? true : undefined));

  // an instance draining (as a rollout marks it): no new requests reach it
  const key = keys.desiredUnit('web', 'web-1-1');
  const unit = JSON.parse((await raw.get(key))!.value) as DesiredUnit;
  await raw.put(key, JSON.stringify({ ...unit, drainingSince: Date.now() } satisfies DesiredUnit));
  await waitFor('the draining instance left out', async () => {
    const t = await routedTo(port);
    return !t['web-1-1'] && t['web-1-2'] ? t : undefined;
  });

  // version 2 deployed: its instance's endpoint, announced before the commit would matter, is routed once the
  // version is committed (the commit is a write to the latest version, which the router now follows too)
  await announce(2, 1, b21);
  await deploys.deploy('web', { trigger: { source: 'api' } });
  await waitFor('the new version routed', async () => ((await routedTo(port, 20))['web-2-1'] ? true : undefined));

  const later = ranges.slice(firstReads);
  const wholeReads = later.filter((p) => p === SERVICES_PREFIX || p.startsWith(keys.desiredUnitsPrefix()) || p.startsWith(SERVICES_PREFIX));
  // a commit heard before all of its units may read that one version's service again (committed-units-view.ts);
  // nothing else may read units or endpoints
  assert.ok(wholeReads.every((p) => p === keys.desiredUnitsOf('web')), `no pass read units or endpoints again, saw ${JSON.stringify(wholeReads)}`);
  assert.ok(wholeReads.length <= 1, `at most one read of the committed version's units, saw ${wholeReads.length}`);
  assert.ok(!later.includes(keys.desiredUnitsPrefix()) && !later.includes(SERVICES_PREFIX), 'never the whole prefix again');
  assert.ok(gets.every((k) => k === keys.domain() || k === keys.deploy('web', 2)), `only the domain (and the new version's deploy record) read by key, saw ${[...new Set(gets)].join(', ')}`);
});
