import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { UnitStateFile } from './unit-files.js';
import { unitRuntimeOf } from './unit-runtime.js';

const state: UnitStateFile = {
  spec: { unit: 'web-2-1', service: 'web', version: 2, instance: 1, image: '/bin/app', ports: [{ container: 8080 }], env: {}, volumes: [] },
  program: '/bin/app',
  args: [],
  pid: 4242,
  procStartTicks: 77,
  startedAt: '2026-11-29T08:00:00.000Z',
  ports: [{ container: 8080, host: 31000, protocol: 'tcp' }],
  cgroups: true,
  finishedAt: '2026-11-29T08:05:00.000Z',
  exitCode: 137,
  oomKilled: true,
};

describe('unitRuntimeOf', () => {
  it('reports a live process with its pid and without how it ended', () => {
    const r = unitRuntimeOf(state, true);
    assert.equal(r.state, 'running');
    assert.equal(r.pid, 4242);
    assert.equal(r.id, '4242');
    assert.equal(r.exitCode, undefined);
    assert.equal(r.finishedAt, undefined);
    assert.equal(r.hostNetwork, true);
    assert.deepEqual([r.service, r.version, r.instance], ['web', 2, 1]);
  });

  it('reports an ended process with its exit code, end time and OOM kill, and no pid', () => {
    const r = unitRuntimeOf(state, false);
    assert.equal(r.state, 'exited');
    assert.equal(r.pid, undefined);
    assert.equal(r.exitCode, 137);
    assert.equal(r.oomKilled, true);
    assert.equal(r.finishedAt, '2026-11-29T08:05:00.000Z');
  });

  it('copies the ports, so a caller changing them leaves the state alone', () => {
    const r = unitRuntimeOf(state, true);
    r.ports[0]!.host = 1;
    assert.equal(state.ports[0]!.host, 31000);
  });
});
