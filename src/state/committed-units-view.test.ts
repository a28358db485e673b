import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { FencedStore } from '../store/fenced-store.js';
import { storeWith } from '../store/store-with.js';
import { keys } from '../core/keys.js';
import type { DeployRecord, DesiredUnit } from '../core/records.js';
import { normalizeCreate } from '../core/service-spec.js';
import { planDeploy } from '../core/deploy-plan.js';
import { CommittedUnitsView } from './committed-units-view.js';

function unit(service: string, version: number, instance: number): DesiredUnit {
  return { unit: `${service}-${version}-${instance}`, service, version, instance, host: null, createdAt: 1, spec: { image: 'img', ports: [], env: {}, volumes: [], stopGraceSeconds: 1 } };
}

/** the deploy record a deploy of `count` instances commits (core/deploy-plan.ts) */
function record(service: string, version: number, count: number): DeployRecord {
  const doc = normalizeCreate({ name: service, dockerRepository: `team/${service}`, numInstances: count }, 1);
  return planDeploy({ service: doc, latestVersion: version - 1, image: `team/${service}`, trigger: { source: 'api' }, now: 1 }).record;
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('CommittedUnitsView handles share one view per store', () => {
  it('the placement loop, rollout controller and a router in one process read and parse the units once; the view lives until the last handle stops', async () => {
    const raw = new SqliteStore(':memory:');
    // counts full reads of the units (a view reading everything)
    let unitReads = 0;
    const store = storeWith(raw, { range: (prefix) => (prefix === keys.desiredUnitsPrefix() && unitReads++, raw.range(prefix)) });
    try {
      await store.put(keys.latest('web'), '1');
      for (let i = 1; i <= 3; i++) await store.put(keys.desiredUnit('web', `web-1-${i}`), JSON.stringify(unit('web', 1, i)));
      const errors: Error[] = [];
      // the loops get a FencedStore of the leader's term; a host's router the store itself
      const fenced = new FencedStore(store, '/paz/election/control', 1);
      const placement = new CommittedUnitsView(fenced, (e) => errors.push(e));
      const rollouts = new CommittedUnitsView(fenced, (e) => errors.push(e));
      const router = new CommittedUnitsView(store, (e) => errors.push(e));
      for (const v of [placement, rollouts, router]) assert.equal((await v.committed()).entries.length, 3);
      assert.equal(unitReads, 1, 'one read of the units for the three handles');

      await placement.stop();
      await rollouts.stop();
      // the router's handle still follows the store by watch
      await store.put(keys.desiredUnit('web', 'web-1-4'), JSON.stringify(unit('web', 1, 4)));
      await eventually(async () => (await router.committed()).entries.length === 4, 'the new unit through the router handle');
      assert.equal(unitReads, 1, 'no read while a handle lives');

      await router.stop();
      // a stopped handle's calls answer from the view as it was left
      assert.equal((await router.committed()).entries.length, 4);
      // the last one out stopped the view: a new handle (the next leader's term) reads afresh
      const next = new CommittedUnitsView(new FencedStore(store, '/paz/election/control', 2));
      await store.put(keys.desiredUnit('web', 'web-1-5'), JSON.stringify(unit('web', 1, 5)));
      assert.equal((await next.committed()).entries.length, 5);
      assert.equal(unitReads, 2);
      await next.stop();
      assert.deepEqual(errors, []);
    } finally {
      await raw.close();
    }
  });
});

describe('CommittedUnitsView after a full read that began before a commit', () => {
  it("a version committed while another handle's read was under way is not taken as whole: its units are waited for, then read", async () => {
    const raw = new SqliteStore(':memory:');
    // the units' watch delivers nothing (a lagging watch, at its worst); the first full read of the units is
    // made at once but answered only when the test lets it (a read under way while a deploy commits)
    let release: () => void = () => {};
    const released = new Promise<void>((r) => (release = r));
    let gated = true;
    const store = storeWith(raw, {
      watch: (prefix, listener, opts) => raw.watch(prefix, prefix === keys.desiredUnitsPrefix() ? () => undefined : listener, opts),
      range: async (prefix) => {
        const result = await raw.range(prefix);
        if (prefix === keys.desiredUnitsPrefix() && gated) {
          gated = false;
          await released;
        }
        return result;
      },
    });
    const deploy = async (version: number, count: number) => {
      for (let i = 1; i <= count; i++) await raw.put(keys.desiredUnit('api', `api-${version}-${i}`), JSON.stringify(unit('api', version, i)));
      await raw.txn({ compare: [], success: [{ type: 'put', key: keys.latest('api'), value: String(version) }, { type: 'put', key: keys.deploy('api', version), value: JSON.stringify(record('api', version, count)) }] });
    };
    const placement = new CommittedUnitsView(store);
    const rollouts = new CommittedUnitsView(store);
    try {
      await deploy(1, 3);
      // the placement loop's all() (placeAtDeploy) sets off the full read: it holds version 1 only
      const all = placement.all();
      await new Promise((r) => setTimeout(r, 20));
      await deploy(2, 5);
      // the rollout controller reads the latest versions now (version 2), then waits for that same read
      const committed = rollouts.committed();
      await new Promise((r) => setTimeout(r, 20));
      release();
      await all;
      const { entries, latest } = await committed;
      assert.equal(latest.get('api'), 2);
      assert.deepEqual(entries.filter((e) => e.value.version === 2).map((e) => e.value.unit).sort(), ['api-2-1', 'api-2-2', 'api-2-3', 'api-2-4', 'api-2-5'], 'the whole of version 2, not a commit without its units');
    } finally {
      await placement.stop();
      await rollouts.stop();
      await raw.close();
    }
  });
});
