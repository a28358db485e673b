import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { FencedStore } from '../store/fenced-store.js';
import type { Store } from '../store/store.js';
import { keys } from '../core/keys.js';
import type { DesiredUnit } from '../core/records.js';
import { CommittedUnitsView } from './committed-units-view.js';

function unit(service: string, version: number, instance: number): DesiredUnit {
  return { unit: `${service}-${version}-${instance}`, service, version, instance, host: null, createdAt: 1, spec: { image: 'img', ports: [], env: {}, volumes: [], stopGraceSeconds: 1 } };
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
    const store = new Proxy(raw, {
      get(target, prop, receiver) {
        if (prop === 'range') return (prefix: string) => (prefix === keys.desiredUnitsPrefix() && unitReads++, target.range(prefix));
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as Store;
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
