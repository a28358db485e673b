import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drainedUnits, inFlight, sameReport, type RouterReport } from './router-report.js';
import type { DesiredUnit, HostRecord } from './records.js';

const unit = (name: string, drainingSince?: number): DesiredUnit => ({
  unit: name, service: 'web', version: 1, instance: 1, host: 'h1', createdAt: 0,
  spec: { image: 'x', ports: [], env: {}, volumes: [], stopGraceSeconds: 1 },
  ...(drainingSince !== undefined ? { drainingSince } : {}),
});
const host = (id: string, routerPort?: number): HostRecord => ({
  id, hostname: id, ip: '127.0.0.1', labels: {}, cpus: 1, memoryBytes: 1, version: 'x', agentUrl: '', driver: 'docker',
  startedAt: 0, heartbeatAt: 0, ...(routerPort ? { routerPort } : {}),
});
const report = (hostId: string, revision: number, draining: RouterReport['draining'] = {}): RouterReport => ({ host: hostId, at: 0, revision, oldWorkers: 0, draining });

test('a draining unit is drained when every router reports nothing in flight after the drain', () => {
  const units = [{ unit: unit('web-1-1', 100), modRevision: 10 }];
  const hosts = [host('a', 80), host('b', 80)];
  const reports = new Map([['a', report('a', 10, { 'web-1-1': { sessions: 0, queued: 0 } })], ['b', report('b', 12)]]);
  assert.deepEqual([...drainedUnits({ units, hosts, reports })], ['web-1-1']);
});

test('a report from before the drain was applied does not count', () => {
  const units = [{ unit: unit('web-1-1', 100), modRevision: 10 }];
  const reports = new Map([['a', report('a', 9)]]);
  assert.equal(drainedUnits({ units, hosts: [host('a', 80)], reports }).size, 0);
});

test('a request in flight, a queued one, or an old worker that did not answer keep it draining', () => {
  const units = [{ unit: unit('web-1-1', 100), modRevision: 10 }];
  const hosts = [host('a', 80)];
  for (const r of [{ sessions: 1, queued: 0 }, { sessions: 0, queued: 2 }, { sessions: 0, queued: 0, unknown: 'old worker 12 did not answer' }]) {
    assert.equal(drainedUnits({ units, hosts, reports: new Map([['a', report('a', 11, { 'web-1-1': r })]]) }).size, 0, JSON.stringify(r));
  }
});

test('a router host without a report holds the drain; hosts without routers do not count', () => {
  const units = [{ unit: unit('web-1-1', 100), modRevision: 10 }];
  const reports = new Map([['a', report('a', 11)]]);
  assert.equal(drainedUnits({ units, hosts: [host('a', 80), host('b', 80)], reports }).size, 0);
  assert.equal(drainedUnits({ units, hosts: [host('a', 80), host('c')], reports }).size, 1);
});

test('with no router in the cluster there is no evidence: the drain time decides', () => {
  const units = [{ unit: unit('web-1-1', 100), modRevision: 10 }];
  assert.equal(drainedUnits({ units, hosts: [host('c')], reports: new Map() }).size, 0);
});

test('units that are not draining are never drained', () => {
  const units = [{ unit: unit('web-1-1'), modRevision: 10 }];
  assert.equal(drainedUnits({ units, hosts: [host('a', 80)], reports: new Map([['a', report('a', 11)]]) }).size, 0);
});

test('inFlight: absent means not routed (0); unknown means cannot tell', () => {
  assert.equal(inFlight(undefined), 0);
  assert.equal(inFlight({ sessions: 2, queued: 1 }), 3);
  assert.equal(inFlight({ sessions: 0, queued: 0, unknown: 'x' }), undefined);
});

test('sameReport ignores the time of reading', () => {
  const a = report('a', 3, { x: { sessions: 1, queued: 0 } });
  assert.ok(sameReport(a, { ...a, at: 99 }));
  assert.ok(!sameReport(a, { ...a, revision: 4 }));
  assert.ok(!sameReport(undefined, a));
});
