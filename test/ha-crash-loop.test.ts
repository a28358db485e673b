// Crash safety: three servers and three agents (process driver) on a three-member etcd, SIGKILLed one at a
// time at random moments while a writer creates services, changes their config, deploys and scales them
// through whichever server answers. Afterwards every acknowledged (2xx) write is in the store, each service's
// versions run 1..n with no gap or repeat, and the cluster converges to exactly the desired units: none twice,
// none missing, no orphaned process (read from /proc on every host by the PAZ_UNIT variable).
//
// Seeded (PAZ_CRASH_SEED, printed); CI runs PAZ_CRASH_ROUNDS=8 kills. The full loop (also `npm run test:full-loops`):
//   PAZ_CRASH_ROUNDS=60 node scripts/run-tests.mjs ha-crash-loop
// test-lane: heavy slow
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { NetnsCluster, type ClusterHost } from './helpers/netns-cluster.js';
import { waitFor } from './helpers/wait.js';
import { duplicates, leaderOf, slowService, startHaCluster, unitProcesses, watchForDuplicates, type HaCluster } from './helpers/ha-cluster.js';
import { keys } from '../src/core/keys.js';
import { committedDesiredUnits } from '../src/state/desired-units.js';
import { rangeJson } from '../src/store/json.js';
import { prng } from './helpers/prng.js';
import type { HostRecord } from '../src/core/records.js';

const why = NetnsCluster.unavailableReason({ etcd: true });
const skip = why ? (process.env.CI === 'true' ? false : why) : false;

const ROUNDS = Number(process.env.PAZ_CRASH_ROUNDS ?? 8);
const SEED = Number(process.env.PAZ_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Attempt {
  op: 'create' | 'patch' | 'deploy' | 'scale';
  service: string;
  status: number;
  /** the error code of a refused write */
  code?: string;
  /** patch: the N written; scale: the count; deploy: the version answered */
  value?: number;
}

describe('a crash loop of kill -9s of servers and agents during deploys and scaling', { skip }, () => {
  const c = new NetnsCluster({ hosts: 3 });
  let ha: HaCluster;
  let dupWatch: ReturnType<typeof watchForDuplicates> | undefined;
  /** the writer stops when this is set (after() sets it if the test fails half-way) */
  let stopWriting = false;
  before(async () => {
    ha = await startHaCluster(c);
  });
  after(async () => {
    stopWriting = true;
    dupWatch?.stop();
    await ha?.store.close();
    await c.down();
  });

  it(`${ROUNDS} kills; nothing acknowledged lost, no gaps, exactly the desired units`, async () => {
    const random = prng(SEED);
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
    console.log(`crash loop: seed ${SEED}, ${ROUNDS} rounds (PAZ_CRASH_SEED=${SEED} PAZ_CRASH_ROUNDS=${ROUNDS} replays the choices)`);
    dupWatch = watchForDuplicates(c, 500);
    const attempts: Attempt[] = [];
    const services: string[] = [];
    let nextN = 1;
    /** hosts whose server is down right now (the writer skips them, so it does not wait on dead addresses) */
    const serverDown = new Set<string>();

    let lastBody: { code?: string } | undefined;
    const call = async (method: string, url: string, body?: unknown) => {
      const r = await c.api(method, url, body);
      lastBody = r.body;
      return r;
    };
    const writer = (async () => {
      let created = 0;
      while (!stopWriting) {
        const live = c.hosts.filter((h) => !serverDown.has(h.name));
        const api = c.orchestrator(pick(live));
        const roll = random();
        let a: Attempt;
        if (services.length < 3 || (roll < 0.15 && services.length < 8)) {
          const name = `svc${++created}`;
          const r = await call('POST', `${api}/services`, slowService(name, 1 + Math.floor(random() * 2), 300, { minHealthySeconds: 0.5, drainSeconds: 0.5 }));
          a = { op: 'create', service: name, status: r.status };
          if (r.status === 201 || r.status === 409) services.push(name);
        } else if (roll < 0.4) {
          const service = pick(services);
          const n = nextN++;
          const r = await call('PATCH', `${api}/services/${service}/config/next`, { env: { N: String(n) } });
          a = { op: 'patch', service, status: r.status, value: n };
        } else if (roll < 0.75) {
          const service = pick(services);
          const r = await call('POST', `${api}/services/${service}/deploy`, {});
          a = { op: 'deploy', service, status: r.status, value: r.body?.doc?.version };
        } else {
          const service = pick(services);
          const n = 1 + Math.floor(random() * 3);
          const r = await call('POST', `${api}/services/${service}/scale`, { numInstances: n });
          a = { op: 'scale', service, status: r.status, value: n };
        }
        attempts.push(a);
        if (a.status < 200 || a.status >= 300) a.code = `${a.status}${lastBody?.code ? ` ${lastBody.code}` : ''}`;
        await sleep(100 + random() * 400);
      }
    })();

    let leaderKills = 0;
    const kills: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await sleep(500 + random() * 2500);
      const h: ClusterHost = pick(c.hosts);
      if (random() < 0.5) {
        const p = ha.servers.get(h.name)!;
        if ((await leaderOf(ha))?.process === p) leaderKills++;
        serverDown.add(h.name);
        p.child.kill('SIGKILL');
        await p.exited;
        kills.push(`server@${h.name}`);
        await sleep(300 + random() * 1500);
        ha.servers.set(h.name, await c.startServer(h));
        serverDown.delete(h.name);
      } else {
        const p = ha.agents.get(h.name)!;
        p.child.kill('SIGKILL');
        await p.exited;
        kills.push(`agent@${h.name}`);
        await sleep(300 + random() * 1500);
        ha.agents.set(h.name, c.startAgent(h));
      }
    }
    stopWriting = true;
    await writer;

    // every acknowledged write is in the store
    const lost: string[] = [];
    const docs = new Map((await rangeJson<{ name: string; config: { numInstances: number; env?: Record<string, unknown> } }>(ha.store, keys.servicesPrefix())).entries.map((e) => [e.value.name, e.value]));
    const acked = attempts.filter((a) => a.status >= 200 && a.status < 300);
    for (const a of acked) {
      const doc = docs.get(a.service);
      if (!doc) {
        lost.push(`${a.op} ${a.service}: the service is gone`);
        continue;
      }
      if (a.op === 'patch') {
        // a later write (acknowledged or not) may have changed N again, never to a smaller one
        const n = Number(doc.config.env?.N ?? 0);
        if (n < a.value!) lost.push(`patch ${a.service} N=${a.value}: config has N=${n}`);
      } else if (a.op === 'deploy') {
        if (!(await ha.store.get(keys.deploy(a.service, a.value!)))) lost.push(`deploy ${a.service} v${a.value}: no record`);
      }
    }
    // the last scale of a service, when acknowledged, is its count
    for (const service of services) {
      const last = attempts.filter((a) => a.service === service && a.op === 'scale').at(-1);
      if (last && last.status >= 200 && last.status < 300 && docs.get(service)?.config.numInstances !== last.value) lost.push(`scale ${service} to ${last.value}: config has ${docs.get(service)?.config.numInstances}`);
    }
    // versions 1..n, each once
    const gaps: string[] = [];
    for (const service of docs.keys()) {
      const versions = (await ha.store.range(`/paz/scheduler/deploys/${service}/`)).kvs.map((kv) => Number(kv.key.split('/').at(-1))).sort((a, b) => a - b);
      const latest = Number((await ha.store.get(keys.latest(service)))?.value ?? 0);
      const expected = Array.from({ length: latest }, (_, i) => i + 1);
      if (JSON.stringify(versions) !== JSON.stringify(expected)) gaps.push(`${service}: versions ${versions.join(',')} but latest ${latest}`);
      const listed = (await c.api('GET', `${c.orchestrator()}/services/${service}/versions`)).body?.doc?.map((v: { version: number }) => v.version) ?? [];
      if (new Set(listed).size !== listed.length) gaps.push(`${service}: the API lists a version twice: ${listed.join(',')}`);
    }

    // convergence: every rollout settled, and exactly the desired units running, each once, where placed
    let last = '';
    const converged = await waitFor('the cluster to converge to the desired units', async () => {
      const desired = (await committedDesiredUnits(ha.store)).entries.map((e) => e.value);
      const procs = unitProcesses(c);
      const running = new Map(procs.map((p) => [p.unit, p]));
      // a host's id -> its namespace's name, by the address it registered with
      const hostName = new Map((await rangeJson<HostRecord>(ha.store, keys.hostsPrefix())).entries.map((e) => [e.value.id, c.hosts.find((h) => h.ip === e.value.ip)?.name]));
      const missing = desired.filter((d) => !d.host || running.get(d.unit)?.host !== hostName.get(d.host)).map((d) => `${d.unit}@${d.host}${d.hold ? ' (held)' : ''}${d.reason ? ` (${d.reason})` : ''}`);
      const wanted = new Set(desired.map((d) => d.unit));
      const orphans = procs.filter((p) => !wanted.has(p.unit)).map((p) => `${p.unit}@${p.host}`);
      const twice = duplicates(procs);
      const deploying: string[] = [];
      for (const service of docs.keys()) {
        const v = Number((await ha.store.get(keys.latest(service)))?.value ?? 0);
        const s = v ? (await ha.store.get(keys.rolloutStatus(service, v)))?.value : undefined;
        if (s && JSON.parse(s).state === 'deploying') deploying.push(`${service}-v${v}`);
      }
      last = JSON.stringify({ missing, orphans, twice, deploying, desired: desired.length, running: procs.length });
      return missing.length === 0 && orphans.length === 0 && twice.length === 0 && deploying.length === 0 && desired.every((d) => !d.drainingSince) ? { desired: desired.length, running: procs.length } : undefined;
    }, 180_000, 1000).catch((err) => {
      throw new Error(`${(err as Error).message}; last look: ${last}`);
    });
    const twiceSeen = dupWatch.stop();
    const figures = {
      seed: SEED,
      iterations: kills.length,
      serverKills: kills.filter((k) => k.startsWith('server')).length,
      agentKills: kills.filter((k) => k.startsWith('agent')).length,
      leaderKills,
      writes: attempts.length,
      acknowledged: acked.length,
      byOp: Object.fromEntries(['create', 'patch', 'deploy', 'scale'].map((op) => [op, `${acked.filter((a) => a.op === op).length}/${attempts.filter((a) => a.op === op).length}`])),
      refused: Object.entries(attempts.filter((a) => a.code).reduce<Record<string, number>>((m, a) => ({ ...m, [`${a.op} ${a.code}`]: (m[`${a.op} ${a.code}`] ?? 0) + 1 }), {})).map(([k, n]) => `${k} x${n}`).join(', '),
      lost: lost.length,
      versionGaps: gaps.length,
      duplicates: twiceSeen.length,
      orphans: 0,
      desiredUnits: converged.desired,
      runningUnits: converged.running,
    };
    console.log(`figures: ${JSON.stringify(figures)}`);
    assert.deepEqual(lost, [], 'every acknowledged write is there');
    assert.deepEqual(gaps, [], 'versions have no gaps or duplicates');
    assert.deepEqual(twiceSeen, [], 'no unit ran twice at any sample');
    assert.ok(acked.length > ROUNDS, `the writer got writes through (${acked.length})`);
  });
});
