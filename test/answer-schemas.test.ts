// Answer schemas describe the fields (OpenAPI), and serializing with them changes no answer: for every read
// route, a rich answer (every optional field set) comes out exactly as the plain JSON of what the handler
// returned — no field dropped, no value coerced, no default added.
// test-lane: normal
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { openStore } from '../src/store/index.js';
import type { Store } from '../src/store/store.js';
import { createContext, type ApiContext } from '../src/api/context.js';
import { createOrchestratorApp } from '../src/api/orchestrator/app.js';
import { createSchedulerApp } from '../src/api/scheduler/app.js';
import { createDirectoryApp } from '../src/api/directory/app.js';
import { keys } from '../src/core/keys.js';
import type { DesiredUnit, HostRecord, UnitStatus } from '../src/core/records.js';
import { REVISION_HEADER } from '../src/api/read-at.js';

/** The same app with its response schemas ignored: answers are JSON.stringify of what the handler returned. */
function plain(app: FastifyInstance): FastifyInstance {
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  return app;
}

const ORCHESTRATOR_PAGES = [
  '/services',
  '/services?dockerRepository=127.0.0.1:1/team/rich',
  '/services/rich',
  '/services/rich/config/next',
  '/services/rich/config/last',
  '/services/rich/config/history',
  '/services/rich/config/history/1',
  '/services/rich/versions',
  '/services/rich/rollout',
  '/services/rich/units',
  '/services/rich/units/rich-1-1',
  '/services/rich/units/rich-1-1/health',
  '/cluster',
  '/cluster/hosts',
  '/cluster/hosts/h1',
  '/cluster/hosts/h1/health',
  '/cluster/health',
  '/services/rich/health',
  '/cluster/units',
  '/cluster/units/rich-1-1',
  '/cluster/units/rich-1-2',
  '/cluster/units/rich-1-1/health',
  '/cluster/endpoints',
  '/registries',
  '/auth/tokens',
];
const SCHEDULER_PAGES = ['/journal?all=true', '/config/rich/version/latest', '/config/rich/version/1', '/config/rich/history'];
const DIRECTORY_PAGES = ['/services', '/services/rich', '/services/rich/config'];

describe('answer schemas', () => {
  let store: Store;
  let ctx: ApiContext;
  const apps: Record<'orchestrator' | 'scheduler' | 'directory', { typed: FastifyInstance; plain: FastifyInstance }> = {} as never;

  before(async () => {
    store = await openStore('sqlite::memory:');
    // one fixed clock: health answers say how old things are, and both apps must answer alike
    ctx = createContext(store, () => 1_700_000_002_000);
    apps.orchestrator = { typed: await createOrchestratorApp(ctx, { port: 0 }), plain: plain(await createOrchestratorApp(ctx, { port: 0 })) };
    apps.scheduler = { typed: await createSchedulerApp(ctx, {}), plain: plain(await createSchedulerApp(ctx, {})) };
    apps.directory = { typed: await createDirectoryApp(ctx, {}), plain: plain(await createDirectoryApp(ctx, {})) };
    const api = apps.orchestrator.typed;
    const ok = async (method: 'POST' | 'PUT' | 'PATCH', url: string, payload: unknown) => {
      const res = await api.inject({ method, url, payload: payload as object });
      assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
    };
    // a service with every config field, deployed (the registry at 127.0.0.1:1 cannot be asked: the digest comes later)
    await ok('POST', '/services', {
      name: 'rich',
      description: 'every field',
      dockerRepository: '127.0.0.1:1/team/rich',
      publicFacing: true,
      numInstances: 2,
      ports: [{ container: 8080, host: 18080, protocol: 'tcp' }],
      env: { PLAIN: 'x', NUM: 3, FLAG: true, TOKEN: { secret: 's3cret-value' } },
      autoDeploy: 'never',
      conflictsWith: 'other-*',
      mustShareWith: 'database',
      loadBalanced: true,
      healthCheck: { type: 'http', path: '/health', port: 8080, intervalSeconds: 0.5, timeoutSeconds: 1.5, healthyThreshold: 2, unhealthyThreshold: 4, gracePeriodSeconds: 12.5 },
      resources: { cpus: 0.5, memoryMb: 64 },
      command: ['serve', '--port', '8080'],
      rollout: { strategy: 'rolling', maxSurge: 1, healthyDeadlineSeconds: 30.5, minHealthySeconds: 0.5, drainSeconds: 1.5, stopGraceSeconds: 2 },
    });
    await ok('POST', '/services/rich/deploy', { tag: '1' });
    await ok('PUT', '/registries/ghcr.io', { username: 'me', password: 'pw' });
    await ok('POST', '/auth/tokens', { name: 'viewer', role: 'read-only' });
    // what agents and the control plane write: a host, placed units, their statuses, the rollout's outcome, a digest
    const host: HostRecord = {
      id: 'h1', hostname: 'box', ip: '127.0.0.1', labels: { zone: 'a', disk: 'ssd' }, cpus: 2.5, memoryBytes: 3 * 2 ** 30, diskBytes: 10 * 2 ** 30,
      version: '0.1.0', agentUrl: 'http://127.0.0.1:1', driver: 'docker', routerPort: 80, reservedPorts: [9000], startedAt: 1_700_000_000_000, heartbeatAt: 1_700_000_000_500,
    };
    await store.put(keys.host('h1'), JSON.stringify(host));
    for (const kv of (await store.range(keys.desiredUnitsOf('rich'))).kvs) {
      const d = JSON.parse(kv.value) as DesiredUnit;
      await store.put(kv.key, JSON.stringify({ ...d, host: 'h1', placedAt: 1_700_000_000_100 }));
    }
    const healthy: UnitStatus = {
      unit: 'rich-1-1', host: 'h1', state: 'healthy', healthy: true, restarts: 1, image: '127.0.0.1:1/team/rich:1', containerId: 'abc123',
      endpoint: '127.0.0.1:18080', ports: [{ container: 8080, host: 18080, protocol: 'tcp' }], startedAt: 1_700_000_000_200, healthySince: 1_700_000_000_300,
      lastProbe: { at: 1_700_000_000_400, ok: true }, updatedAt: 1_700_000_000_450,
    };
    const failed: UnitStatus = {
      unit: 'rich-1-2', host: 'h1', state: 'failed', healthy: false, restarts: 3, image: '127.0.0.1:1/team/rich:1', exitCode: 2, reason: 'exited with code 2',
      lastProbe: { at: 1_700_000_000_400, ok: false, error: 'connection refused' }, lastOutput: ['boom', 'exit'], updatedAt: 1_700_000_000_460,
    };
    await store.put(keys.unitStatus('rich-1-1'), JSON.stringify(healthy));
    await store.put(keys.unitStatus('rich-1-2'), JSON.stringify(failed));
    await store.put(keys.unitStatus('rich-1-9'), JSON.stringify({ ...failed, unit: 'rich-1-9', state: 'stopping' }));
    await store.put(keys.rolloutStatus('rich', 1), JSON.stringify({ service: 'rich', version: 1, state: 'failed', reason: 'rich-1-2 failed: exited with code 2', strategy: 'recreate', strategyReason: 'fixed host port 18080', startedAt: 1_700_000_000_000, finishedAt: 1_700_000_001_000 }));
    await store.put(keys.versionDigest('rich', 1), `sha256:${'a'.repeat(64)}`);
    await store.put(keys.endpoint('rich', 1, 1), '127.0.0.1:18080');
  });

  after(async () => {
    for (const pair of Object.values(apps)) {
      await pair.typed.close();
      await pair.plain.close();
    }
    await store.close();
  });

  for (const [name, pages] of [['orchestrator', ORCHESTRATOR_PAGES], ['scheduler', SCHEDULER_PAGES], ['directory', DIRECTORY_PAGES]] as const) {
    it(`${name}: every read answer round-trips every field through its schema, and says its revision`, async () => {
      for (const url of pages) {
        const typed = await apps[name].typed.inject({ method: 'GET', url });
        const loose = await apps[name].plain.inject({ method: 'GET', url });
        assert.equal(typed.statusCode, 200, `${url}: ${typed.body}`);
        assert.deepEqual(typed.json(), loose.json(), `${url}: the schema changed the answer`);
        assert.match(String(typed.headers[REVISION_HEADER]), /^[0-9]+$/, `${url} says its revision`);
      }
    });
  }

  it('the rich answers did carry the optional fields (so the round trip covered them)', async () => {
    const get = async (url: string) => (await apps.orchestrator.typed.inject({ method: 'GET', url })).json();
    const unit = await get('/cluster/units/rich-1-2');
    assert.deepEqual(unit.lastProbe, { at: 1_700_000_000_400, ok: false, error: 'connection refused' });
    assert.deepEqual(unit.lastOutput, ['boom', 'exit']);
    assert.equal(unit.exitCode, 2);
    assert.equal(unit.machineState.TotalResources.Cores, 2.5);
    const svc = (await get('/services/rich')).doc;
    assert.deepEqual(svc.config.env.TOKEN, { secret: true, fingerprint: svc.config.env.TOKEN.fingerprint });
    assert.equal(svc.config.healthCheck.gracePeriodSeconds, 12.5);
    const rollout = (await get('/services/rich/rollout')).doc;
    assert.equal(rollout.strategyReason, 'fixed host port 18080');
    assert.deepEqual(rollout.stopping, ['rich-1-9']);
    const [version] = (await get('/services/rich/versions')).doc;
    assert.equal(version.digest, `sha256:${'a'.repeat(64)}`);
    assert.equal(version.trigger.actor, 'anonymous');
  });

  it('the OpenAPI documents describe the answers and the revision header', async () => {
    const doc = (await apps.orchestrator.typed.inject({ method: 'GET', url: '/openapi.json' })).json();
    for (const url of ORCHESTRATOR_PAGES) {
      const path = new URL(url, 'http://x').pathname
        .replace(/^\/services\/rich/, '/services/{name}')
        .replace(/\/units\/rich-1-[12]/, (m) => (url.startsWith('/services') ? '/units/{id}' : m))
        .replace(/^\/cluster\/units\/rich-1-[12]/, '/cluster/units/{id}')
        .replace(/\/hosts\/h1/, '/hosts/{id}')
        .replace(/\/history\/1$/, '/history/{version}');
      const ok = doc.paths[path]?.get?.responses?.['200'];
      assert.ok(ok, `${path} is documented`);
      assert.ok(ok.headers?.[REVISION_HEADER]?.description, `${path} documents ${REVISION_HEADER}`);
      const schema = ok.content['application/json'].schema;
      const described = (s: Record<string, any>): boolean => s.type === 'array' ? described(s.items) : s.properties !== undefined || s.patternProperties !== undefined || s.anyOf !== undefined || s.additionalProperties === true;
      assert.ok(described(schema), `${path}: the answer's fields are described`);
      if (schema.properties?.doc) assert.ok(Object.keys(schema.properties.doc).some((k) => ['type', 'anyOf', 'properties'].includes(k)), `${path}: doc is described, not unknown`);
    }
  });
});
