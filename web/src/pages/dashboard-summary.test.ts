import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterHealth, HostHealth } from '../../../src/api/answer-types.js';
import { attentionList } from './dashboard-summary.js';

type Svc = ClusterHealth['services'][number];
const host = (id: string, over: Partial<HostHealth> = {}): HostHealth => ({
  id, hostname: `${id}.lan`, healthy: true, status: 'healthy', reasons: [], checkedAt: 0, state: 'up', heartbeatAt: 0, heartbeatAgeMs: 0,
  heartbeatTtlSeconds: 15, problems: [], units: { placed: 1, healthy: 1 }, ...over,
});
const service = (name: string, over: Partial<Svc> = {}): Svc => ({
  service: name, healthy: true, status: 'healthy', reasons: [], summary: '', checkedAt: 0, serving: 1,
  deploy: { version: 1, state: 'succeeded' }, instances: { desired: 1, healthy: 1, starting: 0, unhealthy: 0, draining: 0 }, ...over,
});
const health = (hosts: HostHealth[], services: Svc[], reasons: string[] = []): ClusterHealth => ({
  healthy: reasons.length === 0, status: reasons.length ? 'degraded' : 'healthy', reasons, summary: '', checkedAt: 0, hosts, services,
  counts: { hosts: hosts.length, hostsUp: hosts.filter((h) => h.state === 'up').length, hostsDown: 0, hostsUnhealthy: 0, services: services.length, servicesHealthy: 0, servicesDegraded: 0, servicesUnhealthy: 0 },
});

test('nothing needs attention when hosts are healthy and services serve all their instances', () => {
  assert.deepEqual(attentionList(health([host('a1')], [service('web')]), { unplacedUnitCount: 0 }), []);
});

test('hosts down or unwell and services unhealthy or degraded, with their reasons, come before deploys under way', () => {
  const list = attentionList(
    health(
      [host('a1', { healthy: false, status: 'unhealthy', state: 'down', reasons: ['host a1 is down since …'] }), host('a2', { healthy: false, status: 'degraded', reasons: ['its router could not start'] })],
      [
        service('a', { deploy: { version: 2, state: 'deploying' } }),
        service('b', { healthy: false, status: 'degraded', deploy: { version: 2, state: 'failed', reason: 'pull failed' }, reasons: ['deploy of v2 failed: pull failed; v1 serves'] }),
        service('c', { healthy: false, status: 'unhealthy', reasons: ['0 of 2 instances healthy'] }),
        service('d', { healthy: false, status: 'degraded', deploy: { version: 3, state: 'deploying' }, reasons: ['1 of 2 instances healthy while v3 deploys'] }),
      ],
      ['…'],
    ),
    { unplacedUnitCount: 1 },
  );
  assert.deepEqual(list.map((a) => `${a.level} ${a.kind} ${a.name} ${a.status}: ${a.reasons.join('; ')}`), [
    'bad host a1.lan down: host a1 is down since …',
    'bad host a2.lan degraded: its router could not start',
    'bad service b degraded: deploy of v2 failed: pull failed; v1 serves',
    'bad service c unhealthy: 0 of 2 instances healthy',
    'bad cluster cluster degraded: 1 unit not placed on any host',
    'busy service a deploying: deploying version 2',
    'busy service d degraded: 1 of 2 instances healthy while v3 deploys',
  ]);
  assert.equal(list[0].id, 'a1', 'hosts link by id');
});

test('no host up is said first, in the cluster verdict\'s words', () => {
  const list = attentionList(health([], [service('web')], ['no host is up: start an agent (paz agent, or paz up)']));
  assert.deepEqual(list.map((a) => a.reasons[0]), ['no host is up: start an agent (paz agent, or paz up)']);
});
