import { PazError } from './errors.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseStrategy, planDeploy, strategyNeedsHosts } from './deploy-plan.js';
import { DEFAULT_CONFIG } from './service-spec.js';

const service = {
  name: 'demo-api',
  description: 'Very simple HTTP Hello World server',
  dockerRepository: 'lukebond/demo-api',
  config: { ...DEFAULT_CONFIG, numInstances: 3, ports: [{ container: 9000, host: 8000 }], env: { MESSAGE: 'hello world', PORT: 9000 }, volume: { '/data': '/var/data' } },
};

test('the first deploy is version 1, later ones latest + 1', () => {
  assert.equal(planDeploy({ service, latestVersion: 0, image: 'lukebond/demo-api', trigger: { source: 'hook' }, now: 1 }).record.version, 1);
  assert.equal(planDeploy({ service, latestVersion: 41, image: 'lukebond/demo-api', trigger: { source: 'hook' }, now: 1 }).record.version, 42);
});

test('a deploy plans numInstances desired units named <svc>-<ver>-<i>, not yet placed', () => {
  const plan = planDeploy({ service, latestVersion: 2, image: 'lukebond/demo-api:7', trigger: { source: 'hook' }, now: 5 });
  assert.deepEqual(plan.units.map((u) => u.unit), ['demo-api-3-1', 'demo-api-3-2', 'demo-api-3-3']);
  for (const u of plan.units) {
    assert.equal(u.host, null);
    assert.equal(u.spec.image, 'lukebond/demo-api:7');
    assert.equal(u.spec.env.PAZ_VERSION, '3');
  }
  assert.equal(plan.units[1].spec.env.PAZ_INSTANCE, '2');
});

test('units carry the rollout times a replacement (drain, restart) is held to, only when the config sets them', () => {
  const plain = planDeploy({ service, latestVersion: 0, image: 'x', trigger: { source: 'hook' }, now: 5 }).units[0];
  assert.deepEqual([plain.minHealthySeconds, plain.healthyDeadlineSeconds], [undefined, undefined]);
  const timed = planDeploy({ service: { ...service, config: { ...service.config, rollout: { minHealthySeconds: 1, healthyDeadlineSeconds: 20 } } }, latestVersion: 0, image: 'x', trigger: { source: 'hook' }, now: 5 }).units[0];
  assert.deepEqual([timed.minHealthySeconds, timed.healthyDeadlineSeconds], [1, 20]);
});

test('unit specs carry env as strings and volumes as host:container pairs (not Paz\'s "-v /foo /bar")', () => {
  const plan = planDeploy({ service, latestVersion: 0, image: 'x', trigger: { source: 'hook' }, now: 5 });
  const spec = plan.units[0].spec;
  assert.equal(spec.env.PORT, '9000');
  assert.deepEqual(spec.volumes, [{ hostPath: '/data', containerPath: '/var/data' }]);
  assert.deepEqual(spec.ports, [{ container: 9000, host: 8000 }]);
});

test('the snapshot is a copy: changing the service afterwards does not change it', () => {
  const svc = structuredClone(service);
  const plan = planDeploy({ service: svc, latestVersion: 0, image: 'x', trigger: { source: 'hook' }, now: 5 });
  svc.config.env.MESSAGE = 'changed';
  assert.equal(plan.record.config.env.MESSAGE, 'hello world');
});

test('journal entries say what was deployed and why', () => {
  const plan = planDeploy({ service, latestVersion: 4, image: 'x:3', trigger: { source: 'rollback', rollbackOf: 3 }, now: 5 });
  assert.equal(plan.journal.event, 'rollback');
  assert.match(plan.journal.message!, /version 3's snapshot deployed as version 5/);
});

import { resolveDeployImage } from './deploy-plan.js';

test('the deploy hook uses the pushed tag on the service repository', () => {
  assert.equal(resolveDeployImage('lukebond/contrived-service-1', 'lukebond/contrived-service-1:0.0.1'), 'lukebond/contrived-service-1:0.0.1');
  assert.equal(resolveDeployImage('127.0.0.1:5000/paz/hello:1', undefined, '2'), '127.0.0.1:5000/paz/hello:2');
  assert.equal(resolveDeployImage('quay.io/lukebond/demo-api', 'lukebond/demo-api'), 'quay.io/lukebond/demo-api');
  assert.equal(resolveDeployImage('lukebond/demo-api:3'), 'lukebond/demo-api:3');
});

test('a hook naming another repository is refused with both names', () => {
  assert.throws(() => resolveDeployImage('lukebond/demo-api', 'someone/else'), /"someone\/else" is not this service's repository "lukebond\/demo-api"/);
});

test('with rollout.maxSurge, instances beyond the surge are held for the rollout controller', () => {
  const svc = { ...service, config: { ...service.config, numInstances: 3, rollout: { maxSurge: 1 } } };
  const plan = planDeploy({ service: svc, latestVersion: 1, image: 'x', trigger: { source: 'hook' }, now: 5 });
  assert.deepEqual(plan.units.map((u) => !!u.hold), [false, true, true]);
});

test('a fixed host port other than the router\'s that cannot fit twice makes the deploy recreate, and it says so', () => {
  const svc = { ...service, config: { ...service.config, numInstances: 1, ports: [{ container: 9000, host: 8000 }] } };
  const plan = planDeploy({ service: svc, latestVersion: 1, image: 'x', trigger: { source: 'hook' }, now: 5, hosts: [{ id: 'h1', routerPort: 80 }] });
  assert.equal(plan.strategy, 'recreate');
  assert.match(plan.strategyReason!, /fixed host port 8000\/tcp: 1 new instance cannot run beside the old ones on 1 host/);
  assert.match(plan.journal.message!, /strategy recreate/);
  assert.deepEqual(plan.units.map((u) => u.hold), [true]);
});

test('the router\'s port, free ports, enough hosts, or an explicit strategy keep it rolling', () => {
  const cfg = (ports: Array<{ container: number; host?: number }>, extra = {}) => ({ ...service.config, numInstances: 1, ports, ...extra });
  assert.equal(chooseStrategy(cfg([{ container: 9000, host: 80 }]), [{ id: 'h1', routerPort: 80 }]).strategy, 'rolling');
  assert.equal(chooseStrategy(cfg([{ container: 9000 }]), [{ id: 'h1', routerPort: 80 }]).strategy, 'rolling');
  assert.equal(chooseStrategy(cfg([{ container: 9000, host: 8000 }]), [{ id: 'h1' }, { id: 'h2' }]).strategy, 'rolling', 'the new instance goes to the other host');
  assert.equal(chooseStrategy(cfg([{ container: 9000, host: 8000 }], { rollout: { strategy: 'rolling' } }), [{ id: 'h1' }]).strategy, 'rolling');
  assert.deepEqual(chooseStrategy(cfg([], { rollout: { strategy: 'recreate' } }), [{ id: 'h1' }]), { strategy: 'recreate' });
});

test('a deploy that does not need the hosts to choose its strategy gets the same choice without them', () => {
  const cfg = (ports: Array<{ container: number; host?: number }>, extra = {}) => ({ ...service.config, numInstances: 2, ports, ...extra });
  const clusters = [[], [{ id: 'h1', routerPort: 80 }], [{ id: 'h1' }, { id: 'h2' }, { id: 'h3' }, { id: 'h4' }], [{ id: 'h1', routerPort: 8000 }]];
  const configs = [cfg([]), cfg([{ container: 9000 }]), cfg([{ container: 9000, host: 8000 }]), cfg([{ container: 9000, host: 8000 }], { rollout: { strategy: 'rolling' } }), cfg([{ container: 9000, host: 8000 }], { rollout: { strategy: 'recreate' } }), cfg([{ container: 9000, host: 8000 }], { numInstances: 0 })];
  let needing = 0;
  for (const c of configs) {
    if (strategyNeedsHosts(c)) {
      needing++;
      continue;
    }
    for (const hosts of clusters) assert.deepEqual(chooseStrategy(c, hosts), chooseStrategy(c, []), JSON.stringify({ c: c.ports, rollout: c.rollout, hosts }));
  }
  assert.equal(needing, 1, 'only a fixed host port with no strategy asked for needs them');
  assert.notDeepEqual(chooseStrategy(cfg([{ container: 9000, host: 8000 }]), [{ id: 'h1' }]), chooseStrategy(cfg([{ container: 9000, host: 8000 }]), [{ id: 'h1' }, { id: 'h2' }, { id: 'h3' }, { id: 'h4' }]));
});

test('resolveDeployImage refuses tags and hook repositories outside Docker\'s reference grammar', () => {
  for (const tag of ['a b', '1\n2', '$(reboot)', 'x\u0000', '-1', 'a'.repeat(129)]) {
    assert.throws(() => resolveDeployImage('127.0.0.1:5000/paz/hello', undefined, tag), (e: unknown) => e instanceof PazError && e.code === 'VALIDATION' && /tag/.test(e.message), JSON.stringify(tag));
  }
  assert.throws(() => resolveDeployImage('paz/hello', 'paz/hello:$(id)'), (e: unknown) => e instanceof PazError && e.code === 'VALIDATION' && /invalid tag/.test(e.message));
  assert.throws(() => resolveDeployImage('paz/hello', 'paz/hello:1\n'), (e: unknown) => e instanceof PazError && e.code === 'VALIDATION');
  assert.equal(resolveDeployImage('paz/hello', undefined, ''), 'paz/hello');
});

test('the journal entry names who deployed (the trigger\'s actor)', () => {
  const plan = planDeploy({ service, latestVersion: 0, image: 'x', trigger: { source: 'api', actor: 'ci' }, now: 5 });
  assert.equal(plan.journal.actor, 'ci');
  assert.equal(plan.record.trigger.actor, 'ci');
  assert.equal(planDeploy({ service, latestVersion: 0, image: 'x', trigger: { source: 'hook' }, now: 5 }).journal.actor, undefined);
});
