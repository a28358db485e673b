import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attentionList } from './dashboard-summary.js';
import type { ServiceRow } from './service-rows.js';

const row = (name: string, state: string, healthy = 1, desired = 1): ServiceRow => ({ name, healthy, desired, serving: 1, lastDeploy: { version: 2, state }, needsAttention: state !== 'succeeded' || healthy < desired });

test('nothing needs attention when hosts heartbeat and services serve all their instances', () => {
  assert.deepEqual(attentionList([{ ID: 'a1', hostname: 'h1', healthy: true }], [row('web', 'succeeded')], undefined), []);
});

test('hosts down and failed or short services come before deploys under way', () => {
  const list = attentionList(
    [{ ID: 'a1', hostname: 'h1', healthy: false }],
    [row('a', 'deploying'), row('b', 'failed'), row('c', 'succeeded', 0, 2)],
    { hostCount: 1, healthyHostCount: 0, unitCount: 2, healthyUnitCount: 0, unplacedUnitCount: 1, serviceCount: 3 },
  );
  assert.deepEqual(list.map((a) => `${a.level} ${a.name}: ${a.what}`), [
    'bad h1: not heartbeating',
    'bad b: deploy of version 2 failed',
    'bad c: 0 of 2 instances healthy',
    'bad cluster: 1 unit(s) not placed on any host',
    'busy a: deploying version 2',
  ]);
});
