import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterHealth, hostHealth, hostsHealth, serviceHealth, type HealthFacts, type ServiceFacts } from './health-levels.js';
import type { DesiredUnit, HostRecord, KnownHost, UnitStatus } from './records.js';
import type { RolloutStatus } from './rollout-policy.js';

const NOW = 1_000_000_000;
const sec = (s: number) => s * 1000;

const host = (id: string, patch: Partial<HostRecord> = {}): HostRecord => ({
  id, hostname: `${id}.local`, ip: '127.0.0.1', labels: {}, cpus: 2, memoryBytes: 1 << 30, version: '0', agentUrl: 'http://127.0.0.1:1', driver: 'docker', startedAt: NOW - sec(600), heartbeatAt: NOW - sec(2), ...patch,
});
const known = (id: string, patch: Partial<KnownHost> = {}): KnownHost => ({ id, hostname: `${id}.local`, ip: '127.0.0.1', agentUrl: 'http://127.0.0.1:1', driver: 'docker', startedAt: NOW - sec(600), lastSeenAt: NOW - sec(2), ...patch });
const unit = (service: string, version: number, instance: number, h: string | null, patch: Partial<DesiredUnit> = {}): DesiredUnit => ({
  unit: `${service}-${version}-${instance}`, service, version, instance, host: h, spec: { image: 'img', ports: [], env: {}, volumes: [], stopGraceSeconds: 10 }, createdAt: NOW - sec(300), placedAt: NOW - sec(299), ...patch,
});
const status = (u: DesiredUnit, patch: Partial<UnitStatus> = {}): UnitStatus => ({
  unit: u.unit, host: u.host!, state: 'healthy', healthy: true, restarts: 0, image: 'img', healthySince: NOW - sec(200), startedAt: NOW - sec(250), updatedAt: NOW - sec(200), ...patch,
});
const rollout = (version: number, state: RolloutStatus['state'], patch: Partial<RolloutStatus> = {}): RolloutStatus => ({ service: 'web', version, state, startedAt: NOW - sec(300), ...(state === 'deploying' ? {} : { finishedAt: NOW - sec(250) }), ...patch });

function facts(hosts: HostRecord[], knownHosts: KnownHost[] = hosts.map((h) => known(h.id, { lastSeenAt: h.heartbeatAt }))): HealthFacts {
  return { now: NOW, hosts, knownHosts, hostLossGraceMs: sec(30) };
}
function svc(units: DesiredUnit[], statuses: UnitStatus[], patch: Partial<ServiceFacts> = {}): ServiceFacts {
  return { name: 'web', latestVersion: 1, rollout: rollout(1, 'succeeded'), serving: 1, units, statuses: new Map(statuses.map((s) => [s.unit, s])), ...patch };
}

test('a service whose instances are all healthy is healthy, with no reasons', () => {
  const us = [unit('web', 1, 1, 'a'), unit('web', 1, 2, 'a')];
  const h = serviceHealth(svc(us, us.map((u) => status(u))), facts([host('a')]));
  assert.equal(h.healthy, true);
  assert.equal(h.status, 'healthy');
  assert.deepEqual(h.reasons, []);
  assert.deepEqual(h.instances, { desired: 2, healthy: 2, starting: 0, unhealthy: 0, draining: 0 });
  assert.match(h.summary, /version 1 serves with 2 of 2 instances healthy/);
});

test('a service never deployed is healthy: nothing to run', () => {
  const h = serviceHealth(svc([], [], { latestVersion: 0, rollout: undefined, serving: 0 }), facts([host('a')]));
  assert.equal(h.healthy, true);
  assert.equal(h.deploy, null);
  assert.match(h.summary, /never been deployed/);
});

test('a service scaled to 0 instances is healthy', () => {
  const h = serviceHealth(svc([], []), facts([host('a')]));
  assert.equal(h.healthy, true);
  assert.equal(h.instances.desired, 0);
  assert.match(h.summary, /scaled to 0/);
});

test('a unit unhealthy for N s is named with its reason, its last probe and since when; one of two down: degraded', () => {
  const us = [unit('web', 1, 1, 'a'), unit('web', 1, 2, 'a')];
  const sick = status(us[1], { state: 'unhealthy', healthy: false, healthySince: undefined, unhealthySince: NOW - sec(45), restarts: 2, reason: 'stopped answering: health check failed 3 times', lastProbe: { at: NOW - sec(1), ok: false, error: 'connection refused' } });
  const h = serviceHealth(svc(us, [status(us[0]), sick]), facts([host('a')]));
  assert.equal(h.healthy, false);
  assert.equal(h.status, 'degraded');
  assert.equal(h.reasons.length, 1);
  assert.match(h.reasons[0], /^unit web-1-2 has been unhealthy for 45 s \(since .*\): unhealthy: stopped answering.*2 restarts; last probe failed \(connection refused\)/);
  const u = h.units.find((x) => x.name === 'web-1-2')!;
  assert.equal(u.since, NOW - sec(45));
  assert.equal(h.instances.unhealthy, 1);
});

test('every instance down: unhealthy; an exited container names its exit code', () => {
  const us = [unit('web', 1, 1, 'a')];
  const h = serviceHealth(svc(us, [status(us[0], { state: 'exited', healthy: false, healthySince: undefined, unhealthySince: NOW - sec(3), exitCode: 137, reason: 'exited' })]), facts([host('a')]));
  assert.equal(h.status, 'unhealthy');
  assert.match(h.reasons[0], /web-1-1 has been unhealthy for 3 s .*exited \(exit code 137\)/);
});

test('a failed deploy with the version before still serving: degraded, with the failure reason', () => {
  const us = [unit('web', 1, 1, 'a')];
  const h = serviceHealth(
    svc(us, [status(us[0])], { latestVersion: 2, rollout: rollout(2, 'failed', { reason: 'version 2 failed: web-2-1 failed: IMAGE_NOT_FOUND: no such tag; version 1 keeps serving' }), serving: 1 }),
    facts([host('a')]),
  );
  assert.equal(h.status, 'degraded');
  assert.match(h.reasons[0], /^the deploy of version 2 failed at .*IMAGE_NOT_FOUND/);
  assert.equal(h.deploy?.state, 'failed');
  assert.match(h.summary, /version 1 serves with 1 of 1 instance healthy; version 2 failed/);
});

test('a first deploy that failed: unhealthy, nothing runs', () => {
  const h = serviceHealth(svc([], [], { latestVersion: 1, rollout: rollout(1, 'failed', { reason: 'boom' }), serving: 0 }), facts([host('a')]));
  assert.equal(h.status, 'unhealthy');
  assert.match(h.summary, /nothing runs/);
});

test('a rolling deploy under way while the old version serves in full is healthy; its starting instances are not problems', () => {
  const old = [unit('web', 1, 1, 'a'), unit('web', 1, 2, 'a')];
  const fresh = [unit('web', 2, 1, 'a', { createdAt: NOW - sec(5) }), unit('web', 2, 2, 'a', { hold: true, createdAt: NOW - sec(5) })];
  const h = serviceHealth(
    svc([...old, ...fresh], [...old.map((u) => status(u)), status(fresh[0], { state: 'pulling', healthy: false, healthySince: undefined, reason: 'pulling img' })], { latestVersion: 2, rollout: rollout(2, 'deploying', { strategy: 'rolling' }), serving: 1 }),
    facts([host('a')]),
  );
  assert.equal(h.status, 'healthy');
  assert.deepEqual(h.reasons, []);
  assert.match(h.summary, /version 2 is deploying/);
  assert.equal(h.instances.starting, 2);
});

test('a first deploy under way is degraded (not unhealthy) until its instances are healthy', () => {
  const us = [unit('web', 1, 1, 'a', { createdAt: NOW - sec(2) })];
  const h = serviceHealth(svc(us, [status(us[0], { state: 'starting', healthy: false, healthySince: undefined })], { rollout: rollout(1, 'deploying'), serving: 0 }), facts([host('a')]));
  assert.equal(h.status, 'degraded');
  assert.match(h.reasons.join('\n'), /version 1 is deploying: 0 of 1 new instance healthy; 0 of 1 instance serve meanwhile/);
});

test('scaling up in progress: degraded, the new instance named as starting', () => {
  const us = [unit('web', 1, 1, 'a'), unit('web', 1, 2, null, { createdAt: NOW - sec(1), placedAt: undefined, reason: 'waiting for placement' })];
  const h = serviceHealth(svc(us, [status(us[0])]), facts([host('a')]));
  assert.equal(h.status, 'degraded');
  assert.match(h.reasons[0], /unit web-1-2 is not placed: waiting for placement/);
  assert.equal(h.instances.starting, 1);
});

test('draining instances are counted apart and are not problems', () => {
  const us = [unit('web', 1, 1, 'a', { drainingSince: NOW - sec(1) }), unit('web', 2, 1, 'a')];
  const h = serviceHealth(svc(us, [status(us[0]), status(us[1])], { latestVersion: 2, rollout: rollout(2, 'succeeded'), serving: 2 }), facts([host('a')]));
  assert.equal(h.status, 'healthy');
  assert.equal(h.instances.draining, 1);
  assert.equal(h.instances.desired, 1);
});

test('a unit on a host that is down names the host and since when', () => {
  const us = [unit('web', 1, 1, 'b'), unit('web', 1, 2, 'a')];
  const h = serviceHealth(svc(us, [status(us[1])]), facts([host('a')], [known('a'), known('b', { lastSeenAt: NOW - sec(12) })]));
  assert.equal(h.status, 'degraded');
  assert.match(h.reasons[0], /unit web-1-1 is not running: host b \(b.local\) is down since .* \(12 s\)/);
  assert.equal(h.units[0].state, 'host-down');
});

test('a live host heartbeating with no problems is healthy', () => {
  const h = hostHealth('a', facts([host('a')]), [], new Map())!;
  assert.equal(h.healthy, true);
  assert.equal(h.state, 'up');
  assert.deepEqual(h.reasons, []);
});

test('a host whose heartbeat is older than its TTL is degraded, saying how old', () => {
  const h = hostHealth('a', facts([host('a', { heartbeatAt: NOW - sec(25), heartbeatTtlSeconds: 10 })]), [], new Map())!;
  assert.equal(h.healthy, false);
  assert.equal(h.status, 'degraded');
  assert.match(h.reasons[0], /last heartbeat is 25 s old/);
});

test('a host whose driver does not answer is unhealthy; a router problem only degrades it', () => {
  const driver = hostHealth('a', facts([host('a', { problems: [{ component: 'driver', message: 'does not answer: connect ENOENT /var/run/docker.sock', since: NOW - sec(8) }] })]), [], new Map())!;
  assert.equal(driver.status, 'unhealthy');
  assert.match(driver.reasons[0], /host a \(a.local\): its docker driver does not answer: connect ENOENT/);
  const router = hostHealth('a', facts([host('a', { problems: [{ component: 'router', message: 'could not start on 127.0.0.1:80: port taken', since: NOW - sec(8) }] })]), [], new Map())!;
  assert.equal(router.status, 'degraded');
  assert.match(router.reasons[0], /its router could not start/);
});

test("a retired unit's instance the driver refuses to remove degrades its host, naming the unit and why", () => {
  const message = 'web-1-1: retired, but its instance cannot be removed (the agent keeps trying): remove web-1-1: driver "overlay2" failed to remove root filesystem: device or resource busy';
  const h = hostHealth('a', facts([host('a', { problems: [{ component: 'leftover', message, since: NOW - sec(120) }] })]), [], new Map())!;
  assert.equal(h.status, 'degraded');
  assert.equal(h.healthy, false);
  assert.equal(h.reasons[0], `host a (a.local): ${message} (since ${new Date(NOW - sec(120)).toISOString()}, 2 min)`);
});

test('a host down within the grace: its units wait for it; past it: they are placed elsewhere', () => {
  const us = [unit('web', 1, 1, 'b')];
  const within = hostHealth('b', facts([host('a')], [known('a'), known('b', { lastSeenAt: NOW - sec(10) })]), us, new Map())!;
  assert.equal(within.state, 'down');
  assert.equal(within.healthy, false);
  assert.equal(within.inGrace, true);
  assert.equal(within.downBecause, 'heartbeat-lost');
  assert.match(within.reasons[0], /host b \(b.local\) is down: its heartbeat was lost after .* \(10 s ago\); its 1 unit waits for it until the host-loss grace ends in 20 s/);
  const past = hostHealth('b', facts([host('a')], [known('a'), known('b', { lastSeenAt: NOW - sec(100), stoppedAt: NOW - sec(90) })]), [], new Map())!;
  assert.equal(past.inGrace, false);
  assert.equal(past.downBecause, 'stopped');
  assert.match(past.reasons[0], /its agent stopped at .* \(90 s ago\); past the host-loss grace: its units were placed elsewhere/);
});

test('unknown hosts have no health; hosts down for over a day are no longer listed', () => {
  assert.equal(hostHealth('zz', facts([host('a')]), [], new Map()), undefined);
  const listed = hostsHealth(facts([host('a')], [known('a'), known('old', { lastSeenAt: NOW - sec(2 * 86400) })]), [], new Map());
  assert.deepEqual(listed.map((h) => h.id), ['a']);
});

test('cluster: a host down makes it degraded and names the host; an unhealthy service makes it unhealthy', () => {
  const us = [unit('web', 1, 1, 'a')];
  const f = facts([host('a')], [known('a'), known('b', { lastSeenAt: NOW - sec(5) })]);
  const c = clusterHealth(f, [svc(us, [status(us[0])])], us, new Map([[us[0].unit, status(us[0])]]));
  assert.equal(c.status, 'degraded');
  assert.equal(c.healthy, false);
  assert.match(c.reasons[0], /host b \(b.local\) is down/);
  assert.deepEqual({ up: c.counts.hostsUp, down: c.counts.hostsDown }, { up: 1, down: 1 });

  const dead = status(us[0], { state: 'exited', healthy: false, healthySince: undefined, unhealthySince: NOW - sec(3) });
  const c2 = clusterHealth(facts([host('a')]), [svc(us, [dead])], us, new Map([[us[0].unit, dead]]));
  assert.equal(c2.status, 'unhealthy');
  assert.match(c2.reasons[0], /^service web is unhealthy: unit web-1-1 has been unhealthy for 3 s/);
});

test('cluster: all well is healthy; no host at all while instances are wanted is unhealthy', () => {
  const us = [unit('web', 1, 1, 'a')];
  const ok = clusterHealth(facts([host('a')]), [svc(us, [status(us[0])])], us, new Map([[us[0].unit, status(us[0])]]));
  assert.equal(ok.healthy, true);
  assert.deepEqual(ok.reasons, []);
  assert.match(ok.summary, /1 of 1 host up; 1 of 1 service healthy/);
  const none = clusterHealth(facts([], []), [svc([unit('web', 1, 1, null)], [])], [], new Map());
  assert.equal(none.status, 'unhealthy');
  assert.match(none.reasons[0], /no host is up/);
});

test('a drained host whose units cannot move names them with their reason, once per reason', () => {
  const us = [unit('web', 1, 1, 'a'), unit('web', 1, 2, 'a'), unit('api', 1, 1, 'a')];
  const nowhere = 'stuck: no other eligible host (every host is drained: paz host undrain ID makes one eligible again)';
  const drains = new Map([['a', { since: NOW - sec(60), actor: 'admin', state: 'stuck' as const, remaining: 3, stuck: [{ unit: 'web-1-1', reason: nowhere }, { unit: 'web-1-2', reason: nowhere }, { unit: 'api-1-1', reason: 'stuck: its replacement api-1-2 crash-looping' }] }]]);
  const h = hostHealth('a', { ...facts([host('a')]), drains }, us, new Map(us.map((u) => [u.unit, status(u)])))!;
  assert.equal(h.status, 'degraded');
  assert.match(h.reasons.join(' '), /but 3 units cannot move and keep running here: web-1-1 and web-1-2 \(stuck: no other eligible host \(every host is drained: paz host undrain ID makes one eligible again\)\); api-1-1 \(stuck: its replacement api-1-2 crash-looping\)$/);
});
