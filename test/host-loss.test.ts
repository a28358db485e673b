// A host whose agent stops heartbeating (its record expires with its lease) has its units placed on
// another host after the grace period; a host that is only briefly gone keeps them.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PazProcess, request } from './helpers/paz-server.js';
import { openStore } from '../src/store/index.js';
import type { Store } from '../src/store/store.js';
import { keys } from '../src/core/keys.js';
import type { HostRecord } from '../src/core/records.js';
import { waitFor } from './helpers/wait.js';

const host = (id: string): HostRecord => ({
  id, hostname: id, ip: '127.0.0.1', labels: {}, cpus: 2, memoryBytes: 1 << 30, version: '0', agentUrl: 'http://127.0.0.1:1', driver: 'docker', startedAt: 0, heartbeatAt: 0,
});

describe('host loss', () => {
  const paz = new PazProcess({ extraArgs: ['--host-loss-grace', '2'] });
  let store: Store;
  before(async () => {
    await paz.start();
    store = await openStore(paz.storeUrl);
  });
  after(async () => {
    await store?.close();
    await paz.close();
  });

  it("moves a lost host's units to a live host after the grace period", async () => {
    const lease = await store.grantLease(30);
    await store.put(keys.host('host-a'), JSON.stringify(host('host-a')), { lease: lease.id });
    await store.put(keys.host('host-b'), JSON.stringify(host('host-b')));
    assert.equal((await request('POST', `${paz.orchestrator}/services`, { name: 'web', dockerRepository: 'team/web', numInstances: 2 })).status, 201);
    assert.equal((await request('POST', `${paz.orchestrator}/services/web/deploy`, {})).status, 201);
    const placed = await waitFor('both placed, spread', async () => {
      const us = (await request('GET', `${paz.orchestrator}/cluster/units`)).body;
      return us.every((u: { host: string | null }) => u.host) ? us : undefined;
    });
    assert.deepEqual(placed.map((u: { host: string }) => u.host).sort(), ['host-a', 'host-b']);

    await store.revoke(lease.id); // the agent of host-a is gone: its record expires with its lease
    const lostAt = Date.now();
    const moved = await waitFor('the unit of host-a on host-b', async () => {
      const us = (await request('GET', `${paz.orchestrator}/cluster/units`)).body;
      return us.every((u: { host: string }) => u.host === 'host-b') ? us : undefined;
    }, 20_000);
    assert.ok(Date.now() - lostAt >= 1500, 'not before the grace period');
    assert.equal(moved.length, 2);
    const unit = await request('GET', `${paz.orchestrator}/cluster/units/${placed.find((u: { host: string }) => u.host === 'host-a').name}`);
    assert.equal(unit.body.host, 'host-b', 'the same unit, now on host-b');
  });
});
