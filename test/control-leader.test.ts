// Two control-plane replicas on one store: one leads the control loops (placement, rollouts); when it
// dies, the other takes over, and deploys keep being placed. The leader writes its deploys' units already
// placed (core/placement.ts placeAtDeploy); the follower writes them unplaced and the leader's loop places them;
// after a takeover the new leader places its deploys as it writes them.
// test-lane: light
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PazProcess, request } from './helpers/paz-server.js';
import { openStore } from '../src/store/index.js';
import type { Store } from '../src/store/store.js';
import { keys } from '../src/core/keys.js';
import type { DesiredUnit, HostRecord } from '../src/core/records.js';
import type { Watch } from '../src/store/store.js';
import { waitFor } from './helpers/wait.js';


describe('control loops run on one leader at a time', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'paz-leader-'));
  const a = new PazProcess({ dataDir });
  const b = new PazProcess({ dataDir });
  let store: Store;
  let watch: Watch | undefined;
  /** the first value each desired unit was written with (by whichever replica) */
  const firstWrites = new Map<string, DesiredUnit>();
  const firstOf = (version: number) => [...firstWrites.values()].filter((u) => u.service === 'web' && u.version === version);
  const host: HostRecord = {
    id: 'host-1', hostname: 'host-1', ip: '127.0.0.1', labels: {}, cpus: 2, memoryBytes: 1 << 30, version: '0', agentUrl: 'http://127.0.0.1:1', driver: 'docker', startedAt: 0, heartbeatAt: 0,
  };

  before(async () => {
    await a.start();
    await b.start();
    store = await openStore(a.storeUrl);
    await store.put(keys.host(host.id), JSON.stringify(host));
    watch = await store.watch(keys.desiredUnitsPrefix(), (events) => {
      for (const e of events) if (e.type === 'put' && !firstWrites.has(e.key)) firstWrites.set(e.key, JSON.parse(e.value) as DesiredUnit);
    });
  });
  after(async () => {
    await watch?.cancel();
    await store?.close();
    await a.close();
    await b.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('places units through whichever replica leads, also after the leader is killed', async () => {
    const leader = await waitFor('a leader', async () => (await store.get(keys.election('control')))?.value);
    const leaderPid = Number(leader.split('-')[0]);
    assert.ok([a.child!.pid, b.child!.pid].includes(leaderPid), `leader ${leader} is one of the two replicas`);
    const [first, second] = leaderPid === a.child!.pid ? [a, b] : [b, a];

    assert.equal((await request('POST', `${second.orchestrator}/services`, { name: 'web', dockerRepository: 'team/web', numInstances: 2 })).status, 201);
    assert.equal((await request('POST', `${second.scheduler}/hooks/deploy`, { serviceName: 'web' })).status, 200);
    await waitFor('placement by the leader', async () => {
      const units = (await request('GET', `${second.orchestrator}/cluster/units`)).body;
      return units.length === 2 && units.every((u: { host: string }) => u.host === 'host-1');
    });
    await waitFor('version 1 first writes', async () => firstOf(1).length === 2);
    assert.deepEqual(firstOf(1).map((u) => u.host), [null, null], 'a follower writes its deploy unplaced');
    // the leader's own deploy: placed as it is written (its loop's view of host-1 may take a moment)
    await waitFor('a deploy through the leader written placed', async () => {
      assert.equal((await request('POST', `${first.scheduler}/hooks/deploy`, { serviceName: 'web' })).status, 200);
      const latest = Math.max(...[...firstWrites.values()].map((u) => u.version));
      return firstOf(latest).length === 2 && firstOf(latest).every((u) => u.host === 'host-1');
    });

    await first.kill();
    const next = await waitFor('the other replica to lead', async () => {
      const v = (await store.get(keys.election('control')))?.value;
      return v && Number(v.split('-')[0]) === second.child!.pid ? v : undefined;
    });
    assert.ok(next);
    // the new leader places what it deploys as it writes it (its placement loop's view may take a moment)
    await waitFor('a deploy through the new leader written placed', async () => {
      assert.equal((await request('POST', `${second.scheduler}/hooks/deploy`, { serviceName: 'web' })).status, 200);
      const latest = Math.max(...[...firstWrites.values()].map((u) => u.version));
      return firstOf(latest).length === 2 && firstOf(latest).every((u) => u.host === 'host-1');
    });
    const latest = Math.max(...[...firstWrites.values()].map((u) => u.version));
    await waitFor('placement by the new leader', async () => {
      const units = (await request('GET', `${second.orchestrator}/cluster/units`)).body;
      return units.filter((u: { version: number; host: string }) => u.version === latest && u.host === 'host-1').length === 2;
    });
  });
});
