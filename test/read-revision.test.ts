// x-paz-revision: a GET answer is the store at the revision it names, even while writes interleave with
// the reads it is assembled from; and following /events?since=<that revision> from it ends exactly where
// a fresh load is: nothing missed, nothing twice. On SQLite, and on a real etcd when its binary is here.
// test-lane: normal
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { openStore } from '../src/store/index.js';
import type { Store, WatchEvent, Watch } from '../src/store/store.js';
import { EtcdMember, findEtcdBinary } from '../src/store/etcd/local-etcd.js';
import { createContext, type ApiContext } from '../src/api/context.js';
import { createOrchestratorApp } from '../src/api/orchestrator/app.js';
import { createSchedulerApp } from '../src/api/scheduler/app.js';
import { keys } from '../src/core/keys.js';
import type { DesiredUnit, HostRecord, UnitStatus } from '../src/core/records.js';
import { REVISION_HEADER } from '../src/api/read-at.js';
import { freePort, tmpDir } from './helpers/env.js';
import { collect } from './helpers/sse.js';

/** the list pages the dashboard loads and then follows; /journal is the scheduler's */
const PAGES = ['/services', '/cluster/units', '/cluster/hosts', '/services/svc-1/units', '/cluster', '/journal?all=true'];

interface Sample {
  path: string;
  status: number;
  body: unknown;
  revision: number;
}

/** A small deterministic random source, so a failure can be replayed. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

function hostRecord(id: string, at: number): HostRecord {
  return { id, hostname: id, ip: '127.0.0.1', labels: { zone: 'a' }, cpus: 2, memoryBytes: 2 ** 30, version: 'test', agentUrl: 'http://127.0.0.1:1', driver: 'process', startedAt: 1, heartbeatAt: at };
}

function desiredUnit(service: string, instance: number, host: string | null): DesiredUnit {
  return {
    unit: `${service}-1-${instance}`,
    service,
    version: 1,
    instance,
    host,
    spec: { image: `127.0.0.1:5000/team/${service}:1`, ports: [], env: {}, volumes: [], stopGraceSeconds: 1 },
    createdAt: 1,
  };
}

function unitStatus(unit: string, host: string, n: number): UnitStatus {
  const healthy = n % 2 === 0;
  return { unit, host, state: healthy ? 'healthy' : 'starting', healthy, restarts: n % 3, image: 'img', updatedAt: n, ...(healthy ? { lastProbe: { at: n, ok: true } } : {}) };
}

/** One random change of the kinds the dashboard shows: services, their config, hosts, units, statuses, the journal. */
async function randomWrite(ctx: ApiContext, rnd: () => number, n: number): Promise<void> {
  const store = ctx.store;
  const service = pick(rnd, ['svc-1', 'svc-2', 'svc-3']);
  const host = pick(rnd, ['h1', 'h2']);
  const instance = 1 + Math.floor(rnd() * 3);
  const unit = `${service}-1-${instance}`;
  const exists = (await store.get(keys.service(service))) !== undefined;
  switch (pick(rnd, ['service', 'config', 'host', 'unit', 'status', 'unit-delete', 'journal', 'host-delete'] as const)) {
    case 'service':
      if (exists && rnd() < 0.3) await ctx.directory.delete(service, 'test');
      else if (!exists) await ctx.directory.create({ name: service, dockerRepository: `127.0.0.1:5000/team/${service}` }, 'test');
      return;
    case 'config':
      if (exists) await ctx.directory.patchConfig(service, { env: { N: String(n) } }, 'test');
      return;
    case 'host':
      await store.put(keys.host(host), JSON.stringify(hostRecord(host, n)));
      return;
    case 'host-delete':
      await store.delete(keys.host(host));
      return;
    case 'unit':
      // as a deploy commits its units: the latest version beside them, in one write
      await store.txn({ compare: [], success: [{ type: 'put', key: keys.latest(service), value: '1' }, { type: 'put', key: keys.desiredUnit(service, unit), value: JSON.stringify(desiredUnit(service, instance, rnd() < 0.8 ? host : null)) }] });
      return;
    case 'status': {
      const placed = (await store.get(keys.desiredUnit(service, unit)))?.value;
      const on = placed ? ((JSON.parse(placed) as DesiredUnit).host ?? host) : host;
      await store.put(keys.unitStatus(unit), JSON.stringify(unitStatus(unit, on, n)));
      return;
    }
    case 'unit-delete':
      await store.delete(keys.desiredUnit(service, unit));
      return;
    case 'journal':
      await ctx.deploys.appendJournal({ event: 'deploy', serviceName: service, version: 1, timestamp: 1_000_000 + n, actor: 'test' });
      return;
  }
}

/** The store's state at a revision, rebuilt from its history in a store of its own, with the same APIs over it. */
class Replica {
  private applied = 0;
  private constructor(
    readonly store: Store,
    readonly orchestrator: FastifyInstance,
    readonly scheduler: FastifyInstance,
  ) {}

  static async open(): Promise<Replica> {
    const store = await openStore('sqlite::memory:');
    const ctx = createContext(store);
    return new Replica(store, await createOrchestratorApp(ctx, { port: 0 }), await createSchedulerApp(ctx, {}));
  }

  /** applies the history up to and including `revision` (revisions only ever go forward here) */
  async advanceTo(history: WatchEvent[], revision: number): Promise<void> {
    for (; this.applied < history.length && history[this.applied].revision <= revision; this.applied++) {
      const e = history[this.applied];
      if (e.type === 'put') await this.store.put(e.key, e.value);
      else await this.store.delete(e.key);
    }
  }

  async close(): Promise<void> {
    await this.orchestrator.close();
    await this.scheduler.close();
    await this.store.close();
  }
}

const appFor = (path: string, apps: { orchestrator: FastifyInstance; scheduler: FastifyInstance }) => (path.startsWith('/journal') ? apps.scheduler : apps.orchestrator);

/**
 * Another process writing to the same store as fast as it can (statuses and a heartbeat, as agents do):
 * in one process a SQLite read never yields to a write of that process mid-read, another process's writes
 * land at any moment, so a page assembled from several reads would show a state the store never had.
 */
function foreignWriter(url: string): ChildProcess {
  const storeModule = fileURLToPath(new URL('../src/store/index.js', import.meta.url));
  const script = `
    const { openStore } = await import(${JSON.stringify(storeModule)});
    const store = await openStore(${JSON.stringify(url)});
    for (let n = 0; ; n++) {
      const unit = 'svc-' + (1 + (n % 3)) + '-1-' + (1 + (n % 2));
      await store.put('/paz/units/status/' + unit, JSON.stringify({ unit, host: 'h' + (1 + (n % 2)), state: 'running', healthy: n % 2 === 0, restarts: n, image: 'img', updatedAt: n }));
      await store.put('/paz/hosts/h3', JSON.stringify({ id: 'h3', hostname: 'h3', ip: '127.0.0.1', labels: {}, cpus: 1, memoryBytes: 1, version: 'x', agentUrl: 'http://127.0.0.1:1', driver: 'process', startedAt: 1, heartbeatAt: n }));
      await new Promise((r) => setTimeout(r, 2));
    }`;
  return spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'inherit'] });
}

function describeBackend(backend: string, open: () => Promise<{ store: Store; url: string; close: () => Promise<void> }>, skip: string | false): void {
  describe(`GET answers at one revision, on ${backend}`, { skip }, () => {
    let opened: { store: Store; url: string; close: () => Promise<void> };
    let ctx: ApiContext;
    let orchestrator: FastifyInstance;
    let scheduler: FastifyInstance;
    let base: string;
    let history: WatchEvent[];
    let watch: Watch;
    const samples: Sample[] = [];
    let finalRevision = 0;

    before(async () => {
      opened = await open();
      ctx = createContext(opened.store);
      orchestrator = await createOrchestratorApp(ctx, { port: 0 });
      scheduler = await createSchedulerApp(ctx, {});
      await orchestrator.listen({ port: 0, host: '127.0.0.1' });
      const address = orchestrator.server.address();
      base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      history = [];
      watch = await opened.store.watch('/paz/', (events) => history.push(...events), { fromRevision: 1 });

      // writes and reads interleave: each read of a page is several store reads, each write lands between them
      const rnd = lcg(backend.length * 7919);
      const foreign = foreignWriter(opened.url);
      let writing = true;
      let written = 0;
      const writer = (async () => {
        try {
          for (let n = 1; n <= 200; n++) {
            await randomWrite(ctx, rnd, n);
            written = n;
          }
        } finally {
          writing = false;
        }
      })();
      const readers = [0, 1, 2].map(async (r) => {
        for (let i = r; writing; i++) {
          const path = PAGES[i % PAGES.length];
          const res = await appFor(path, { orchestrator, scheduler }).inject({ method: 'GET', url: path });
          const revision = Number(res.headers[REVISION_HEADER]);
          samples.push({ path, status: res.statusCode, body: res.json(), revision });
          // at most one read per reader per write: enough interleaving, bounded work
          const seen = written;
          while (writing && written === seen) await new Promise((r) => setImmediate(r));
        }
      });
      try {
        await Promise.all([writer, ...readers]);
      } finally {
        foreign.kill();
        if (foreign.exitCode === null) await new Promise((r) => foreign.once('exit', r));
      }
      // the last change is an event, so a follower knows it has reached the end
      await ctx.directory.create({ name: 'zz-last', dockerRepository: '127.0.0.1:5000/team/last' }, 'test');
      finalRevision = await opened.store.revision();
      // the watch has delivered every change up to the last write
      while ((history.at(-1)?.revision ?? 0) < finalRevision) await new Promise((r) => setTimeout(r, 20));
    });

    after(async () => {
      await watch?.cancel();
      await orchestrator?.close();
      await scheduler?.close();
      await opened?.close();
    });

    it('every answer says its revision, and is exactly the store at that revision', async () => {
      assert.ok(samples.length >= 60, `read ${samples.length} pages while writing`);
      const revisions = new Set(samples.map((s) => s.revision));
      assert.ok(revisions.size >= 20, `the reads saw ${revisions.size} different revisions: they interleaved with the writes`);
      const replica = await Replica.open();
      try {
        for (const s of [...samples].sort((a, b) => a.revision - b.revision)) {
          assert.ok(Number.isSafeInteger(s.revision) && s.revision >= 0, `${s.path} answered ${REVISION_HEADER}: ${s.revision}`);
          await replica.advanceTo(history, s.revision);
          const again = await appFor(s.path, replica).inject({ method: 'GET', url: s.path });
          assert.equal(s.status, again.statusCode, `${s.path} at revision ${s.revision}`);
          if (s.status === 200) assert.deepEqual(s.body, again.json(), `${s.path} at revision ${s.revision} is the store at that revision`);
        }
      } finally {
        await replica.close();
      }
    });

    it('load /services, follow /events?since=REV: ends exactly where a fresh load is, with no event at or before REV', async () => {
      const fresh = (await orchestrator.inject({ method: 'GET', url: '/services' })).json().doc;
      const loads = samples.filter((s) => s.path === '/services' && s.status === 200);
      assert.ok(loads.length >= 5);
      for (const load of loads.filter((_, i) => i % Math.ceil(loads.length / 8) === 0)) {
        const events = await collect(`${base}/events?since=${load.revision}`, {}, (es) => es.some((e) => e.id >= finalRevision));
        assert.ok(events.every((e) => e.id > load.revision), 'no event at or before the revision the list was read at (no duplicate)');
        let services = [...(load.body as { doc: Array<{ name: string; config: unknown; lastModifiedTime?: number }> }).doc];
        for (const e of events) {
          if (e.event === 'service.create') services.push(e.data);
          else if (e.event === 'service.del') services = services.filter((s) => s.name !== e.data);
          else if (e.event === 'service.modifyConfig') {
            services = services.map((s) => (s.name === e.data.name ? { ...s, config: e.data.config, ...(e.data.lastModifiedTime !== undefined ? { lastModifiedTime: e.data.lastModifiedTime } : {}) } : s));
          }
        }
        services.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        assert.deepEqual(services, fresh, `loaded at ${load.revision}, followed to ${finalRevision}: no change missed`);
      }
    });
  });
}

describeBackend('SQLite', async () => {
  const dir = tmpDir('paz-read-revision-');
  const store = await openStore(`sqlite:${join(dir, 'paz.db')}`);
  return { store, url: `sqlite:${join(dir, 'paz.db')}`, close: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
}, false);

describeBackend(
  'etcd',
  async () => {
    const dir = tmpDir('paz-read-revision-etcd-');
    const clientPort = await freePort();
    let peerPort = await freePort();
    while (peerPort === clientPort) peerPort = await freePort();
    const member = EtcdMember.start({ name: 'm0', dataDir: join(dir, 'm0'), logFile: join(dir, 'etcd.log'), clientPort, peerPort });
    await member.waitUntilHealthy(60_000);
    const store = await openStore(`etcd://127.0.0.1:${clientPort}`);
    return {
      store,
      url: `etcd://127.0.0.1:${clientPort}`,
      close: async () => {
        await store.close();
        await member.stop(10_000);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  findEtcdBinary() === undefined ? 'no etcd binary (apt-get install etcd-server)' : false,
);
