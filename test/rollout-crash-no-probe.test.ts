// A rolling deploy of a version whose process exits at once, on services without a health path (the
// default), with the process driver: the deploy must fail (crash loop) and the old, working instance must
// never be drained. Without ports "running" is all a probe can know, so a unit that dies within milliseconds
// was reported running, healthy, exited: with `minHealthySeconds: 0` the rollout counted that healthy and
// retired the working version (the service was lost). Three services deploy side by side: no ports with the
// default rollout, no ports with minHealthySeconds 0, and a port without a health path with minHealthySeconds 0.
// test-lane: light
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PazProcess, request } from './helpers/paz-server.js';
import { waitFor } from './helpers/wait.js';
import { rolloutOf } from './helpers/rollout.js';
import { removeCgroupParent } from './helpers/procs.js';

// v1: runs until stopped (listening on PORT when it has one); v2: exits at once, as an app that cannot start
const runs = `
if (process.env.PORT) require('node:http').createServer((q, s) => s.end('v1\\n')).listen(Number(process.env.PORT), '127.0.0.1');
setInterval(() => {}, 1000);
process.on('SIGTERM', () => process.exit(0));
`;
const crashes = ['sh', '-c', 'echo "cannot reach the database" >&2; exit 3'];

interface UnitDoc {
  name: string;
  version: number;
  state: string;
  healthy: boolean;
  draining?: boolean;
}

const services = [
  { name: 'quiet', ports: [], rollout: { drainSeconds: 1 } },
  { name: 'quiet-now', ports: [], rollout: { minHealthySeconds: 0, drainSeconds: 1 } },
  { name: 'web-now', ports: [{ container: 9000 }], rollout: { minHealthySeconds: 0, drainSeconds: 1 } },
];

describe('a version that exits at once, without a health check, never replaces a working one', () => {
  const cgroupParent = `paz-crash-no-probe-${process.pid}`;
  const paz = new PazProcess({ role: 'up', extraArgs: ['--driver', 'process', '--no-router', '--agent-port', '0', '--cgroup-parent', cgroupParent] });
  before(() => paz.start());
  after(async () => {
    for (const s of services) await request('DELETE', `${paz.orchestrator}/services/${s.name}`).catch(() => undefined);
    await waitFor('the agent to retire its units', async () => /paz_agent_units 0\b/.test(await (await fetch(`${paz.orchestrator}/metrics`)).text())).catch(() => undefined);
    await paz.close();
    await removeCgroupParent(cgroupParent);
  });

  it('the deploy fails as a crash loop and the old instance keeps running, never drained', async () => {
    for (const s of services) {
      const created = await request('POST', `${paz.orchestrator}/services`, { name: s.name, dockerRepository: `local/${s.name}`, command: [process.execPath, '-e', runs], ports: s.ports, numInstances: 1, rollout: s.rollout });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal((await request('POST', `${paz.orchestrator}/services/${s.name}/deploy`, {})).status, 201);
    }
    for (const s of services) {
      await waitFor(`${s.name} version 1 serving`, async () => {
        const r = await rolloutOf(paz.orchestrator, s.name);
        return r.state === 'succeeded' && r.units.length === 1 && r.units[0].healthy ? r : undefined;
      });
    }

    for (const s of services) {
      assert.equal((await request('PATCH', `${paz.orchestrator}/services/${s.name}/config/next`, { command: crashes })).status, 200);
      assert.equal((await request('POST', `${paz.orchestrator}/services/${s.name}/deploy`, {})).status, 201);
    }
    // watched while the new version crash-loops: the old instance is never drained, the deploy never succeeds
    const seen = new Map<string, { succeeded: boolean; drained: boolean }>(services.map((s) => [s.name, { succeeded: false, drained: false }]));
    const outcomes = await waitFor(
      'every deploy of version 2 decided',
      async () => {
        const docs = await Promise.all(services.map((s) => rolloutOf(paz.orchestrator, s.name)));
        for (const [i, r] of docs.entries()) {
          const mark = seen.get(services[i].name)!;
          if (r.version === 2 && r.state === 'succeeded') mark.succeeded = true;
          if ((r.units as UnitDoc[]).some((u) => u.version === 1 && u.draining)) mark.drained = true;
        }
        return docs.every((r) => r.version === 2 && r.state !== 'deploying') ? docs : undefined;
      },
      45_000,
      50,
    );
    for (const [i, r] of outcomes.entries()) {
      const name = services[i].name;
      assert.deepEqual(seen.get(name), { succeeded: false, drained: false }, `${name}: version 2 counted healthy or version 1 drained`);
      assert.equal(r.state, 'failed', `${name}: ${JSON.stringify(r)}`);
      assert.match(r.reason, /crash-looping|exited with code 3/, `${name}: ${r.reason}`);
      assert.equal(r.serving, 1, name);
      const v1 = (r.units as UnitDoc[]).filter((u) => u.version === 1);
      assert.equal(v1.length, 1, `${name}: ${JSON.stringify(r.units)}`);
      assert.equal(v1[0].healthy, true, `${name}: ${JSON.stringify(v1[0])}`);
      assert.equal(v1[0].draining, undefined, name);
    }
  });
});
