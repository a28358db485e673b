import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterLines, hostLines, serviceLines } from './health.js';
import { clusterHealth, hostHealth, serviceHealth } from '../core/health-levels.js';
import type { HostRecord, KnownHost } from '../core/records.js';

const NOW = 1_000_000_000;
const host: HostRecord = { id: 'a', hostname: 'box', ip: '127.0.0.1', labels: {}, cpus: 2, memoryBytes: 1, version: '0', agentUrl: 'http://x', driver: 'docker', startedAt: 0, heartbeatAt: NOW - 2000 };
const gone: KnownHost = { id: 'b', hostname: 'b', ip: '127.0.0.1', agentUrl: 'http://x', driver: 'docker', startedAt: 0, lastSeenAt: NOW - 5000 };
const facts = { now: NOW, hosts: [host], knownHosts: [gone], hostLossGraceMs: 30_000 };

test('the cluster: its status and summary first, each reason on its own line, then hosts and services', () => {
  const lines = clusterLines(clusterHealth(facts, [], [], new Map()));
  assert.match(lines[0], /^cluster: degraded \(1 of 2 hosts up; 0 of 0 services healthy\)$/);
  assert.match(lines[1], /^ {2}- host b is down: its heartbeat was lost/);
  assert.ok(lines.some((l) => /HOST\s+HOSTNAME\s+STATE/.test(l)));
});

test('a service never deployed says so; a host says up or down', () => {
  const s = serviceLines(serviceHealth({ name: 'web', latestVersion: 0, rollout: undefined, serving: 0, units: [], statuses: new Map() }, facts));
  assert.deepEqual(s, ['service web: healthy (service web has never been deployed: nothing to run)']);
  assert.match(hostLines(hostHealth('a', facts, [], new Map())!)[0], /^host a \(box\): healthy \(up, last heartbeat 2 s ago; 0 of 0 units healthy\)$/);
  assert.match(hostLines(hostHealth('b', facts, [], new Map())!)[0], /^host b \(b\): unhealthy \(down, within the host-loss grace/);
});

test("health's reasons and summary are the server's text: control characters spelled out, colour codes still Paz's own", () => {
  const h = { ...clusterHealth(facts, [], [], new Map()), summary: 'fine\x1b[2J', reasons: ['host b\r is down\x07'] };
  const lines = clusterLines(h, true);
  assert.equal(lines[0], 'cluster: \x1b[33mdegraded\x1b[0m (fine\\x1b[2J)');
  assert.equal(lines[1], '  - host b\\r is down\\x07');
});
