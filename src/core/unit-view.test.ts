import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unitNamesByHost } from './unit-view.js';
import type { DesiredUnit } from './records.js';

const unit = (service: string, instance: number, host: string | null): DesiredUnit => ({
  unit: `${service}-1-${instance}`, service, version: 1, instance, host, createdAt: 0,
  spec: { image: 'x', ports: [], env: {}, volumes: [], stopGraceSeconds: 1 },
});

test('unitNamesByHost: each host its units, in the order given, the same as filtering the units for each host', () => {
  const hosts = ['h0', 'h1', 'h2', 'h3', 'idle'];
  // interleaved over the hosts (7 is prime to 4: every host gets units of every service), some unplaced,
  // some on a host that is not among `hosts` (it went away)
  const units = Array.from({ length: 200 }, (_, i) => unit(`svc${i % 3}`, i, i % 11 === 0 ? null : i % 13 === 0 ? 'gone' : `h${(i * 7) % 4}`));
  const byHost = unitNamesByHost(units);
  for (const h of hosts) assert.deepEqual(byHost.get(h) ?? [], units.filter((u) => u.host === h).map((u) => u.unit), h);
  assert.equal(byHost.has('idle'), false, 'a host without units has no entry');
  assert.deepEqual(byHost.get('gone'), units.filter((u) => u.host === 'gone').map((u) => u.unit));
  assert.equal([...byHost.values()].flat().length, units.filter((u) => u.host).length, 'unplaced units belong to no host');
});

test('unitNamesByHost: no units, no hosts', () => {
  assert.deepEqual(unitNamesByHost([]), new Map());
  assert.deepEqual(unitNamesByHost([unit('a', 1, null)]), new Map());
});
