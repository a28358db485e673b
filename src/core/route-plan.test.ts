import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRoutes } from './route-plan.js';
import type { DesiredUnit } from './records.js';

const unit = (service: string, version: number, instance: number, extra: Partial<DesiredUnit> = {}, ports = [{ container: 9000 }] as DesiredUnit['spec']['ports']): DesiredUnit => ({
  unit: `${service}-${version}-${instance}`, service, version, instance, host: 'h1', createdAt: 0,
  spec: { image: 'x', ports, env: {}, volumes: [], stopGraceSeconds: 1 }, ...extra,
});

test('healthy endpoints become ready servers; draining and undesired ones drain', () => {
  const r = planRoutes({
    endpoints: [
      { key: '/paz/services/web/1/1', value: '127.0.0.1:32001' },
      { key: '/paz/services/web/2/1', value: '127.0.0.1:32002' },
      { key: '/paz/services/web/3/1', value: '127.0.0.1:32003' },
      { key: '/paz/services/paz-orchestrator', value: '127.0.0.1:9000' },
    ],
    desired: [unit('web', 1, 1, { drainingSince: 5 }), unit('web', 2, 1)],
    domain: 'paz',
    hostId: 'h1',
    routerPort: 80,
  });
  assert.deepEqual(r.services, [
    {
      name: 'web',
      check: { type: 'http', path: '/', expect: 'answer' },
      servers: [
        { name: 'web-1-1', address: '127.0.0.1', port: 32001, state: 'drain' },
        { name: 'web-2-1', address: '127.0.0.1', port: 32002, state: 'ready' },
        { name: 'web-3-1', address: '127.0.0.1', port: 32003, state: 'drain' },
      ],
      publicFacing: true,
    },
  ]);
  assert.equal(r.defaultService, undefined);
});

test("the default service is this host's unit asking for the router port; services without endpoints keep a backend", () => {
  const r = planRoutes({
    endpoints: [],
    desired: [unit('contrived-service-1', 1, 1, {}, [{ container: 9000, host: 80 }]), unit('other', 1, 1, { host: 'h2' }, [{ container: 9000, host: 80 }])],
    domain: 'paz',
    hostId: 'h1',
    routerPort: 80,
  });
  assert.equal(r.defaultService, 'contrived-service-1');
  assert.deepEqual(r.services.map((s) => s.name), ['contrived-service-1', 'other']);
});

test('loadBalanced false gets no backend and is never the default; publicFacing comes from the newest version', () => {
  const r = planRoutes({
    endpoints: [
      { key: '/paz/services/direct/1/1', value: '127.0.0.1:32001' },
      { key: '/paz/services/inner/1/1', value: '127.0.0.1:32002' },
      { key: '/paz/services/inner/2/1', value: '127.0.0.1:32003' },
      { key: '/paz/services/legacy/1/1', value: '127.0.0.1:32004' },
    ],
    desired: [
      unit('direct', 1, 1, { loadBalanced: false, publicFacing: true }, [{ container: 9000, host: 80 }]),
      unit('inner', 1, 1, { loadBalanced: true, publicFacing: true, drainingSince: 5 }),
      unit('inner', 2, 1, { loadBalanced: true, publicFacing: false }),
      unit('legacy', 1, 1),
    ],
    domain: 'example.com',
    hostId: 'h1',
    routerPort: 80,
  });
  assert.deepEqual(r.services.map((s) => [s.name, s.publicFacing, s.servers.length]), [['inner', false, 2], ['legacy', true, 1]]);
  assert.equal(r.defaultService, undefined, 'a service that is not load-balanced never becomes the router default');
});

test('only announced endpoints become servers: a desired unit without an endpoint (not seen healthy) gets none', () => {
  const r = planRoutes({
    endpoints: [{ key: '/paz/services/web/2/1', value: '127.0.0.1:32002' }],
    desired: [unit('web', 2, 1), unit('web', 2, 2), unit('web', 2, 3)],
    domain: 'paz',
    hostId: 'h1',
    routerPort: 80,
  });
  assert.deepEqual(r.services[0].servers.map((s) => s.name), ['web-2-1']);
});

test("the router's check is the agent's probe: HTTP answer by default, 2xx on a path, TCP when asked", () => {
  const plan = (...units: DesiredUnit[]) => planRoutes({ endpoints: [], desired: units, domain: 'paz', hostId: 'h1', routerPort: 80 }).services[0].check;
  const withCheck = (version: number, healthCheck: DesiredUnit['spec']['healthCheck'], extra: Partial<DesiredUnit> = {}) => {
    const u = unit('web', version, 1, extra);
    u.spec.healthCheck = healthCheck;
    return u;
  };
  assert.deepEqual(plan(withCheck(1, undefined)), { type: 'http', path: '/', expect: 'answer' });
  assert.deepEqual(plan(withCheck(1, { path: '/health' })), { type: 'http', path: '/health', expect: '2xx' });
  assert.deepEqual(plan(withCheck(1, { type: 'tcp' })), { type: 'tcp' });
  // while two versions serve with different checks, the weakest one both pass
  assert.deepEqual(plan(withCheck(1, { path: '/health' }), withCheck(2, { path: '/ready' })), { type: 'http', path: '/', expect: 'answer' });
  assert.deepEqual(plan(withCheck(1, { path: '/health' }), withCheck(2, { type: 'tcp' })), { type: 'tcp' });
  // a draining version no longer decides
  assert.deepEqual(plan(withCheck(1, undefined, { drainingSince: 1 }), withCheck(2, { path: '/ready' })), { type: 'http', path: '/ready', expect: '2xx' });
});

test('an endpoint announced with a host name is left out and named, so the rest of the table still applies', async () => {
  const { validateRouteTable } = await import('../router/route-table.js');
  const r = planRoutes({
    endpoints: [
      { key: '/paz/services/web/1/1', value: 'node-b.example:32001' },
      { key: '/paz/services/web/1/2', value: '10.0.0.7:32002' },
    ],
    desired: [unit('web', 1, 1), unit('web', 1, 2)],
    domain: 'paz',
    hostId: 'h1',
    routerPort: 80,
  });
  assert.deepEqual(r.services[0].servers.map((s) => s.name), ['web-1-2']);
  assert.deepEqual(r.unroutable, ['web-1-1 node-b.example']);
  assert.deepEqual(validateRouteTable(r), [], 'the router accepts the table');
});
