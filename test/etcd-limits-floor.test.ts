// test-lane: normal slow
/**
 * The least etcd Paz accepts: a store URL's `?max-txn-ops=16&max-request-bytes=65536` is the floor
 * (src/store/index.ts MIN_ETCD_TXN_OPS, MIN_ETCD_REQUEST_BYTES), said to be enough for everything Paz writes in
 * one txn (a deploy's commit: its record, the latest version, a journal entry, the pending-write marker, the
 * leader's fence) with bigger writes chunked. Here a real etcd runs at that floor (--max-txn-ops 16
 * --max-request-bytes 65536) and a `paz server` is told so, and a service with a 2 KB environment goes through
 * its life with hundreds of units: create, deploy, scale, deploy again, roll back, delete. Every answer is a
 * 2xx, the server logs no error, and the store holds what was acknowledged after each step. The units are
 * placed onto hosts (records of three hosts, as their agents would write them; no agent runs them), so the
 * placement writes go through the same limits.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { EtcdMember } from '../src/store/etcd/local-etcd.js';
import { EtcdStore } from '../src/store/etcd/etcd-store.js';
import { MIN_ETCD_REQUEST_BYTES, MIN_ETCD_TXN_OPS } from '../src/store/index.js';
import { keys } from '../src/core/keys.js';
import type { DesiredUnit, HostRecord } from '../src/core/records.js';
import { PazProcess, request } from './helpers/paz-server.js';
import { freePort, tmpDir } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';
import { skipUnlessEtcd } from './helpers/local-agents.js';

const HOSTS = ['h1', 'h2', 'h3'];
const hostRecord = (id: string): HostRecord => ({
  id, hostname: id, ip: '127.0.0.1', labels: {}, cpus: 64, memoryBytes: 256 * 2 ** 30, version: '0', agentUrl: 'http://127.0.0.1:1', driver: 'process', startedAt: Date.now(), heartbeatAt: Date.now(),
});
/** `n` settings of 128 bytes, in every unit's value */
const envOf = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`SETTING_${i}`, `${i}-`.padEnd(120, 'x')]));

describe('etcd at the floor of its limits', { skip: skipUnlessEtcd }, () => {
  const dir = tmpDir('paz-limits-floor-');
  let etcd: EtcdMember | undefined;
  let store: EtcdStore | undefined;
  let paz: PazProcess | undefined;
  let lease: number | undefined;
  let keepAlive: NodeJS.Timeout | undefined;

  before(async () => {
    etcd = EtcdMember.start({
      name: 'm0', dataDir: join(dir, 'etcd'), logFile: join(dir, 'etcd.log'), clientPort: await freePort(), peerPort: await freePort(),
      extraArgs: ['--max-txn-ops', String(MIN_ETCD_TXN_OPS), '--max-request-bytes', String(MIN_ETCD_REQUEST_BYTES)],
    });
    await etcd.waitUntilHealthy(60_000);
    store = new EtcdStore([etcd.endpoint]);
    // the hosts' records, under a lease kept alive as their agents would
    lease = (await store.grantLease(30)).id;
    keepAlive = setInterval(() => void store!.keepAlive(lease!).catch(() => undefined), 5_000);
    for (const id of HOSTS) await store.put(keys.host(id), JSON.stringify(hostRecord(id)), { lease });
    paz = new PazProcess({
      role: 'server', dataDir: join(dir, 'paz'),
      extraArgs: ['--store', `etcd://${etcd.endpoint}?max-txn-ops=${MIN_ETCD_TXN_OPS}&max-request-bytes=${MIN_ETCD_REQUEST_BYTES}`],
    });
    await paz.start();
  });

  after(async () => {
    if (keepAlive) clearInterval(keepAlive);
    await paz?.close();
    await store?.close();
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const r = await request(method, `${paz!.orchestrator}${path}`, body);
    answers.push(`${method} ${path} ${r.status}`);
    return r;
  };
  const answers: string[] = [];
  const walkthrough = async (SERVICE: string, ENV: Record<string, string>) => {
    const stored = async (): Promise<DesiredUnit[]> => (await store!.range(keys.desiredUnitsOf(SERVICE))).kvs.map((kv) => JSON.parse(kv.value) as DesiredUnit);
    /** the committed units (those of versions up to the latest), as any reader sees them */
    const committed = async (): Promise<DesiredUnit[]> => {
      const latest = Number((await store!.get(keys.latest(SERVICE)))?.value ?? 0);
      return (await stored()).filter((u) => u.version <= latest);
    };
    const byVersion = (units: DesiredUnit[]) => units.reduce<Record<number, number>>((m, u) => ((m[u.version] = (m[u.version] ?? 0) + 1), m), {});
    const ok = (r: { status: number; body: unknown }, what: string) => assert.ok(r.status >= 200 && r.status < 300, `${what}: ${r.status} ${String(JSON.stringify(r.body)).slice(0, 400)}`);
    const created = await api('POST', '/services', { name: SERVICE, dockerRepository: 'local/sleep', command: ['sleep', '86400'], numInstances: 300, env: ENV });
    ok(created, 'create');
    const unitBytes = async () => Math.max(...(await store!.range(keys.desiredUnitsOf(SERVICE))).kvs.map((kv) => kv.value.length));

    const v1 = await api('POST', `/services/${SERVICE}/deploy`, {});
    ok(v1, 'deploy 1');
    assert.equal(v1.body.doc.version, 1);
    assert.deepEqual(byVersion(await committed()), { 1: 300 });
    console.log(`# a unit's value: ${await unitBytes()} bytes; etcd takes ${MIN_ETCD_TXN_OPS} ops and ${MIN_ETCD_REQUEST_BYTES} bytes per txn`);
    await waitFor('every unit of v1 placed', async () => (await stored()).every((u) => u.host !== null), 60_000, 250);

    const scaled = await api('POST', `/services/${SERVICE}/scale`, { numInstances: 420 });
    ok(scaled, 'scale up');
    assert.deepEqual(byVersion(await committed()), { 1: 420 });
    await waitFor('every unit placed after the scale', async () => (await stored()).every((u) => u.host !== null), 60_000, 250);

    const patched = await api('PATCH', `/services/${SERVICE}/config/next`, { numInstances: 250, env: { ...ENV, SETTING_0: 'changed' } });
    ok(patched, 'config');
    const v2 = await api('POST', `/services/${SERVICE}/deploy`, {});
    ok(v2, 'deploy 2');
    assert.equal(v2.body.doc.version, 2);
    const afterV2 = byVersion(await committed());
    assert.equal(afterV2[2], 250, JSON.stringify(afterV2));

    const rolled = await api('POST', `/services/${SERVICE}/rollback`, { version: 1 });
    ok(rolled, 'rollback');
    assert.equal(rolled.body.doc.version, 3);
    const afterRollback = byVersion(await committed());
    assert.equal(afterRollback[3], 250, `the rollback deploys version 1's snapshot with the instance count of now (250; 300 when version 1 was deployed): ${JSON.stringify(afterRollback)}`);
    // version 1's environment again, in the units' run spec
    const v3 = (await stored()).find((u) => u.version === 3)!;
    assert.equal(JSON.stringify(v3.spec).includes('"changed"'), false, 'the rollback runs version 1\'s environment');
    assert.ok(JSON.stringify(v3.spec).includes(ENV.SETTING_0), 'with its environment');
    await waitFor('every unit placed after the rollback', async () => (await stored()).every((u) => u.host !== null), 60_000, 250);

    const scaledDown = await api('POST', `/services/${SERVICE}/scale`, { numInstances: 40 });
    ok(scaledDown, 'scale down');

    const deleted = await api('DELETE', `/services/${SERVICE}`);
    ok(deleted, 'delete');
    // its units and its record gone at once (its deploy history stays: directory.ts)
    assert.equal((await store!.range(keys.desiredUnitsOf(SERVICE))).kvs.length, 0, 'no desired unit left');
    assert.equal(await store!.get(keys.service(SERVICE)), undefined, 'no service record left');
    assert.equal((await api('GET', `/services/${SERVICE}`)).status, 404);

    console.log(`# ${SERVICE}: ${answers.splice(0).join(', ')}`);
    const errors = paz!.output.split('\n').filter((l) => /"level":(50|60)|"statusCode":5\d\d|INTERNAL/.test(l));
    assert.deepEqual(errors.map((l) => l.slice(0, 500)), [], 'no error in the server log');
  };

  // ~2 KB of environment: 16 units fill a txn's ops before its bytes
  it('create, deploy hundreds of units, scale, deploy again, roll back, delete: all 2xx, no error logged', () => walkthrough('floor', envOf(16)));
  // ~6 KB: a txn's bytes fill before its ops (and the deploy record, in the commit's txn, is that big too)
  it('the same with units too big for 16 in one request', () => walkthrough('wide', envOf(48)));
});
