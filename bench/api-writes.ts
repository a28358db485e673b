/**
 * API writes: 16 clients each creating a service (POST /services) and deleting it again, for a fixed time,
 * against a real `paz server` (SQLite, tokens on), beside the raw write rate of the same store: 16 loops
 * putting and deleting a service-sized record through the Store API (SqliteStore on a file of its own, in
 * this process), in the same run. One API write is several store writes (the service, its repository index,
 * the journal, in one transaction), so the ratio says what the API adds on top of the store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark } from './lib/bench.js';
import { httpCall, runLoad } from './lib/http-load.js';
import { PazRole } from './lib/paz-process.js';
import { figure } from './lib/report.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { EtcdStore } from '../src/store/etcd/etcd-store.js';
import { EtcdMember, findEtcdBinary } from '../src/store/etcd/local-etcd.js';
import type { Store } from '../src/store/store.js';
import { percentile } from './lib/measure.js';
import { freePort } from './lib/processes.js';

const CLIENTS = 16;

function serviceDoc(name: string): string {
  return JSON.stringify({ name, description: 'benchmark write', dockerImage: '127.0.0.1:1/bench/write', ports: [{ container: 8080 }], env: { A: '1' }, numInstances: 1 });
}

/** A store's own rate: `clients` loops of put + delete of a service-sized value, for `durationMs`. */
async function storeRate(store: Store, durationMs: number): Promise<{ writesPerSecond: number; p99Ms: number }> {
  try {
    const latencies: number[] = [];
    let writes = 0;
    const deadline = Date.now() + durationMs;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        for (let i = 0; Date.now() < deadline; i++) {
          const key = `/paz/directory/services/raw-${c}-${i}`;
          const t0 = process.hrtime.bigint();
          await store.put(key, serviceDoc(`raw-${c}-${i}`));
          await store.delete(key);
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          writes += 2;
          // better-sqlite3 is synchronous: yield so that the loops interleave as concurrent clients would
          await new Promise((r) => setImmediate(r));
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    latencies.sort((a, b) => a - b);
    return { writesPerSecond: writes / seconds, p99Ms: percentile(latencies, 99) };
  } finally {
    await store.close();
  }
}

export const benchmark: Benchmark = {
  name: 'api-writes',
  title: 'API writes: create and delete services at 16 clients',
  async run(ctx) {
    const durationMs = ctx.pick(10_000, 1_000);
    const tmp = mkdtempSync(join(tmpdir(), 'paz-bench-writes-'));
    const paz = new PazRole({ role: 'server' });
    try {
      await paz.start();
      const headers = paz.authHeaders;
      const raw = await storeRate(new SqliteStore(join(tmp, 'raw.db')), durationMs);
      // etcd too when it is installed (the clustered store), on this machine's loopback
      let etcd: { writesPerSecond: number; p99Ms: number } | undefined;
      if (findEtcdBinary()) {
        const member = EtcdMember.start({ name: 'bench', dataDir: join(tmp, 'etcd'), logFile: join(tmp, 'etcd.log'), clientPort: await freePort(), peerPort: await freePort() });
        try {
          await member.waitUntilHealthy();
          etcd = await storeRate(new EtcdStore([member.endpoint]), durationMs);
        } finally {
          await member.stop();
        }
      }
      const load = await runLoad({
        port: paz.ports.directory,
        concurrency: CLIENTS,
        durationMs,
        step: async (agent, client, i) => {
          const name = `w-${client}-${i}`;
          const created = await httpCall(paz.ports.directory, { method: 'POST', path: '/services', headers, body: serviceDoc(name), agent });
          if (created.status !== 201) throw new Error(`POST /services: ${created.status} ${created.body.toString('utf8', 0, 200)}`);
          const deleted = await httpCall(paz.ports.directory, { method: 'DELETE', path: `/services/${name}`, headers, agent });
          if (deleted.status >= 300) throw new Error(`DELETE /services/${name}: ${deleted.status} ${deleted.body.toString('utf8', 0, 200)}`);
        },
      });
      // each iteration is two API writes
      const apiWrites = (load.requestsPerSecond * 2);
      ctx.log(`API ${apiWrites.toFixed(0)} writes/s (p99 create+delete ${load.p99Ms.toFixed(1)} ms); store ${raw.writesPerSecond.toFixed(0)} writes/s`);
      const notes = [`${durationMs / 1000} s each; a "write" is one create or one delete (API) or one put or delete (store)`];
      if (!etcd) notes.push('etcd is not installed: no etcd row (scripts/install-deps.sh installs it)');
      if (load.errors > 0) notes.push(`${load.errors} failed create+delete pairs, e.g. ${load.errorSamples[0]}`);
      return {
        method: `${CLIENTS} clients creating (POST /services) and deleting (DELETE /services/:name) services on \`paz server\` (SQLite, tokens on), beside ${CLIENTS} loops of put + delete of the same document straight through the SQLite Store API (and etcd's, one local member, when installed).`,
        figures: [
          figure({ name: 'API writes/s (create or delete)', unit: 'writes/s', value: apiWrites, baseline: { name: 'SQLite store put/delete', value: raw.writesPerSecond } }),
          figure({ name: 'p99 of one create + delete', unit: 'ms', value: load.p99Ms, baseline: { name: 'store put + delete', value: raw.p99Ms } }),
          ...(etcd ? [figure({ name: 'API writes/s on SQLite vs raw etcd', unit: 'writes/s', value: apiWrites, baseline: { name: 'etcd put/delete (1 member)', value: etcd.writesPerSecond }, note: 'reference' })] : []),
        ],
        notes,
      };
    } finally {
      await paz.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  },
};
