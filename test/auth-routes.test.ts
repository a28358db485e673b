// 401 and 403 per role on every route of the three API servers, generated from their own OpenAPI documents
// (GET /openapi.json), so a route added later is checked without anyone remembering to list it.
// For each route and method: no token, a forged token and a malformed header get 401; a read-only token on
// anything but a read gets 403; a deployer token on an admin route gets 403; the admin token never gets
// 401 or 403 (nor a 5xx: the placeholder inputs get 4xx answers at worst).
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PazProcess, request } from './helpers/paz-server.js';

type Access = 'public' | 'read' | 'deploy' | 'admin' | 'hook' | 'cluster';

interface Operation {
  server: string;
  base: string;
  method: string;
  path: string;
  access: Access;
}

/**
 * Routes whose level is not their method's default (GET/HEAD read, else deploy): the token API, the webhook
 * secret, registry credentials and forgetting a down host are admin-only.
 */
const DECLARED: Record<string, Access> = {
  'POST /auth/tokens': 'admin',
  'GET /auth/tokens': 'admin',
  'DELETE /auth/tokens/{idOrName}': 'admin',
  'GET /auth/webhook-secret': 'admin',
  'POST /auth/webhook-secret/rotate': 'admin',
  'GET /registries': 'admin',
  'PUT /registries/{host}': 'admin',
  'DELETE /registries/{host}': 'admin',
  'DELETE /cluster/hosts/{id}': 'admin',
  'GET /cluster/backup': 'admin',
  'POST /cluster/hosts/{id}/drain': 'admin',
  'POST /cluster/hosts/{id}/undrain': 'admin',
  'POST /services/{name}/exec': 'admin',
};

/** Fewest operations each document must list: an empty or truncated document fails here, not silently. */
const FLOOR = { orchestrator: 30, directory: 6, scheduler: 7 };

const FORGED = `paz_0123456789ab_${'A'.repeat(43)}`;

/** Status of one request; a streamed answer (GET /events) is not read past its headers. */
async function statusOf(method: string, url: string, headers: Record<string, string>): Promise<number> {
  const hasBody = method !== 'GET' && method !== 'HEAD' && method !== 'DELETE';
  const res = await fetch(url, {
    method,
    headers: { ...headers, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
    body: hasBody ? '{}' : undefined,
    signal: AbortSignal.timeout(20_000),
  });
  await res.body?.cancel();
  return res.status;
}

/** A concrete URL for a documented path: every parameter gets a placeholder that names nothing. */
function urlOf(base: string, path: string): string {
  return base + path.replace(/\{version\}/g, '1').replace(/\{[^}]+\}/g, 'no-such-thing');
}

describe('401 and 403 per role on every documented route', () => {
  const paz = new PazProcess({ role: 'up', auth: true, extraArgs: ['--no-agent'] });
  const ops: Operation[] = [];
  const tokens = { readOnly: '', deployer: '' };

  before(async () => {
    await paz.start();
    for (const [role, key] of [['read-only', 'readOnly'], ['deployer', 'deployer']] as const) {
      const made = await request('POST', `${paz.orchestrator}/auth/tokens`, { name: `matrix-${role}`, role }, paz.authHeaders());
      assert.equal(made.status, 201, JSON.stringify(made.body));
      tokens[key] = made.body.token;
    }
    for (const [server, base] of [['orchestrator', paz.orchestrator], ['directory', paz.directory], ['scheduler', paz.scheduler]] as const) {
      const doc = await request('GET', `${base}/openapi.json`, undefined, paz.authHeaders());
      assert.equal(doc.status, 200);
      assert.deepEqual(doc.body.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', description: doc.body.components.securitySchemes.bearerAuth.description });
      assert.deepEqual(doc.body.security, [{ bearerAuth: [] }]);
      let n = 0;
      for (const [path, item] of Object.entries(doc.body.paths as Record<string, Record<string, { 'x-paz-access'?: Access }>>)) {
        for (const [method, op] of Object.entries(item)) {
          const m = method.toUpperCase();
          assert.ok(op['x-paz-access'], `${server} ${m} ${path} documents its access level`);
          ops.push({ server, base, method: m, path, access: op['x-paz-access']! });
          n++;
        }
      }
      assert.ok(n >= FLOOR[server], `${server} documents ${n} operations, expected at least ${FLOOR[server]}`);
    }
  });
  after(() => paz.close());

  it('each route declares the level its method implies, unless it is listed as declared', () => {
    for (const op of ops) {
      const expected = DECLARED[`${op.method} ${op.path}`] ?? (op.method === 'GET' || op.method === 'HEAD' ? 'read' : 'deploy');
      // hooks check their webhook secret themselves (helper "hooks"); the agent API is not on these servers
      if (op.access === 'hook') assert.match(op.path, /^\/hooks\//, `${op.method} ${op.path} is a hook`);
      else assert.equal(op.access, expected, `${op.server} ${op.method} ${op.path}`);
      assert.notEqual(op.access, 'cluster');
    }
  });

  it('answers 401 without a token, with a forged token and with a malformed header, on every route', async () => {
    for (const op of ops.filter((o) => o.access !== 'public' && o.access !== 'hook')) {
      const url = urlOf(op.base, op.path);
      const where = `${op.server} ${op.method} ${op.path}`;
      assert.equal(await statusOf(op.method, url, {}), 401, `${where} without a token`);
      assert.equal(await statusOf(op.method, url, { authorization: `Bearer ${FORGED}` }), 401, `${where} with a forged token`);
      assert.equal(await statusOf(op.method, url, { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` }), 401, `${where} with Basic auth`);
    }
  });

  it('answers 403 to a read-only token on writes and to a deployer token on admin routes', async () => {
    for (const op of ops) {
      const url = urlOf(op.base, op.path);
      const where = `${op.server} ${op.method} ${op.path}`;
      const ro = await statusOf(op.method, url, { authorization: `Bearer ${tokens.readOnly}` });
      const dep = await statusOf(op.method, url, { authorization: `Bearer ${tokens.deployer}` });
      if (op.access === 'deploy' || op.access === 'admin') assert.equal(ro, 403, `${where}: read-only`);
      if (op.access === 'admin') assert.equal(dep, 403, `${where}: deployer`);
      if (op.access === 'read') assert.ok(ro !== 401 && ro !== 403, `${where}: read-only may read (got ${ro})`);
      if (op.access === 'read' || op.access === 'deploy') assert.ok(dep !== 401 && dep !== 403, `${where}: deployer may (got ${dep})`);
    }
  });

  it('never answers 401 or 403 (or a 5xx) to the admin token', async () => {
    for (const op of ops) {
      const status = await statusOf(op.method, urlOf(op.base, op.path), paz.authHeaders());
      assert.ok(status !== 401 && status !== 403 && status < 500, `${op.server} ${op.method} ${op.path}: admin got ${status}`);
    }
  });

  it('keeps the undocumented routes closed too: only /health is public', async () => {
    for (const base of [paz.orchestrator, paz.directory, paz.scheduler]) {
      assert.equal(await statusOf('GET', `${base}/health`, {}), 200);
      for (const path of ['/openapi.json', '/metrics', '/no-such-route']) assert.equal(await statusOf('GET', `${base}${path}`, {}), 401, `${base}${path}`);
    }
    assert.equal(await statusOf('GET', `${paz.orchestrator}/docs`, {}), 401);
    assert.equal(await statusOf('GET', `${paz.orchestrator}/docs`, paz.authHeaders()) < 400, true);
  });

  it('says what to do in the 401 and names the role needed in the 403', async () => {
    const none = await request('GET', `${paz.orchestrator}/services`);
    assert.equal(none.body.code, 'PAZ_UNAUTHENTICATED');
    assert.match(none.body.message, /Authorization: Bearer/);
    assert.match(none.body.message, /admin-token/);
    assert.match(none.body.message, /paz token create/);
    const forged = await request('GET', `${paz.orchestrator}/services`, undefined, { authorization: `Bearer ${FORGED}` });
    assert.match(forged.body.message, /not valid/);
    const ro = await request('POST', `${paz.orchestrator}/services`, { name: 'nope', dockerRepository: 'x/y' }, { authorization: `Bearer ${tokens.readOnly}` });
    assert.equal(ro.status, 403);
    assert.equal(ro.body.code, 'PAZ_FORBIDDEN');
    assert.match(ro.body.message, /read-only/);
    assert.match(ro.body.message, /needs the role deployer or admin/);
    const dep = await request('GET', `${paz.orchestrator}/auth/tokens`, undefined, { authorization: `Bearer ${tokens.deployer}` });
    assert.match(dep.body.message, /needs the role admin/);
    // refused before anything was stored
    assert.equal((await request('GET', `${paz.orchestrator}/services/nope`, undefined, paz.authHeaders())).status, 404);
  });
});
