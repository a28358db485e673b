import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeCreate, applyConfigPatch, serviceNameProblem, descriptionProblem } from './service-spec.js';
import { PazError } from './errors.js';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PazError, String(e));
    return e.code;
  }
  assert.fail('expected an error');
}

test('a flat create document is stored with config defaults under config', () => {
  const doc = normalizeCreate({ name: 'my-service', description: 'Test service', dockerRepository: 'lukebond/my-service', publicFacing: true, env: { suchKey: 'veryValue' } }, 7);
  assert.deepEqual(doc, {
    name: 'my-service',
    description: 'Test service',
    dockerRepository: 'lukebond/my-service',
    createdTime: 7,
    config: { publicFacing: true, numInstances: 1, ports: [], env: { suchKey: 'veryValue' }, volume: {} },
  });
});

test("the seed README's contrived service is accepted: dockerImage alias, autoDeploy, conflictsWith", () => {
  const doc = normalizeCreate(
    { name: 'contrived-service-1', description: 'Test service', dockerImage: 'lukebond/contrived-service-1', ports: [{ container: 9000, host: 80 }], autoDeploy: 'always', numInstances: 1, conflictsWith: 'contrived-service-*' },
    1,
  );
  assert.equal(doc.dockerRepository, 'lukebond/contrived-service-1');
  assert.equal(doc.config.autoDeploy, 'always');
  assert.equal(doc.config.conflictsWith, 'contrived-service-*');
  assert.deepEqual(doc.config.ports, [{ container: 9000, host: 80 }]);
});

test('names must be DNS labels of 3 to 50 characters and not reserved', () => {
  assert.equal(serviceNameProblem('demo-api'), undefined);
  assert.match(serviceNameProblem('ab')!, /too short/);
  assert.match(serviceNameProblem('Demo')!, /uppercase.*"demo"/);
  assert.match(serviceNameProblem('a_b_c')!, /lowercase letters, digits and hyphens/);
  assert.match(serviceNameProblem('-abc')!, /start and end/);
  assert.match(serviceNameProblem('x'.repeat(51))!, /at most 50/);
  assert.equal(code(() => normalizeCreate({ name: 'paz-web', dockerRepository: 'x' }, 1)), 'NAME_RESERVED');
});

test('a create without any image says which field to send', () => {
  assert.throws(() => normalizeCreate({ name: 'abc' }, 1), /dockerRepository is required/);
  assert.throws(() => normalizeCreate({ name: 'abc', dockerRepository: 'Bad Image' }, 1), /white space|repository path/);
  assert.throws(() => normalizeCreate({ name: 'abc', dockerRepository: 'a', dockerImage: 'b' }, 1), /different images/);
});

test('config checks name the field: env keys, volumes, duplicate ports, health check port', () => {
  const base = normalizeCreate({ name: 'abc', dockerRepository: 'x' }, 1).config;
  assert.throws(() => applyConfigPatch(base, { env: { '1foo': 'x' } }), /env key "1foo"/);
  assert.throws(() => applyConfigPatch(base, { volume: { 'data': '/x' } }), /must be absolute/);
  assert.throws(() => applyConfigPatch(base, { volume: { '/data': 'x' } }), /absolute path in the container/);
  assert.throws(() => applyConfigPatch(base, { ports: [{ container: 80 }, { container: 80 }] }), /listed twice/);
  assert.throws(() => applyConfigPatch(base, { ports: [{ container: 80, host: 8080 }, { container: 81, host: 8080 }] }), /host port 8080\/tcp is listed twice/);
  assert.throws(() => applyConfigPatch(base, { healthCheck: { path: '/up' } }), /needs a port/);
  assert.throws(() => applyConfigPatch(base, { ports: [{ container: 80 }], healthCheck: { port: 81 } }), /not one of the service's container ports/);
  assert.throws(() => applyConfigPatch(base, { ports: [{ container: 80 }], healthCheck: { path: 'up' } }), /must start with \//);
  assert.throws(() => applyConfigPatch(base, { ports: [{ container: 80 }], healthCheck: { path: '/a b' } }), /percent-encode/);
  assert.throws(() => applyConfigPatch(base, { ports: [{ container: 80 }], healthCheck: { type: 'tcp', path: '/up' } }), /HTTP path: drop it, or use type "http"/);
});

test('a config patch is a shallow merge, as in Paz', () => {
  const base = normalizeCreate({ name: 'abc', dockerRepository: 'x', env: { A: '1', B: '2' }, numInstances: 2 }, 1).config;
  const next = applyConfigPatch(base, { env: { C: '3' }, publicFacing: true });
  assert.deepEqual(next.env, { C: '3' });
  assert.equal(next.numInstances, 2);
  assert.equal(next.publicFacing, true);
  assert.deepEqual(base.env, { A: '1', B: '2' }, 'the original is not mutated');
});

test('strings that reach a container, a probe, a path or HAProxy may not hold NUL, CR, LF or other controls (command arguments may hold newlines)', () => {
  const base = normalizeCreate({ name: 'abc', dockerRepository: 'x', ports: [{ container: 80 }] }, 1).config;
  const refused = (patch: Parameters<typeof applyConfigPatch>[1], field: RegExp, message: RegExp): void => {
    assert.throws(
      () => applyConfigPatch(base, patch),
      (e: unknown) => e instanceof PazError && e.code === 'VALIDATION' && field.test(String((e.details as { field?: string } | undefined)?.field)) && message.test(e.message),
      JSON.stringify(patch),
    );
  };
  for (const bad of ['a\u0000b', 'a\nb', 'a\rb', 'a\u001bb', 'a\u007fb']) {
    refused({ env: { A: bad } }, /^env\.A$/, /env A has a .* at position 1: values are one line/);
    if (!/[\r\n]/.test(bad)) refused({ command: ['ok', bad] }, /^command\[1\]$/, /command\[1\] has/);
    refused({ volume: { [`/data${bad}`]: '/x' } }, /^volume$/, /volume path/);
    refused({ volume: { '/data': `/x${bad}` } }, /^volume$/, /volume path/);
    refused({ healthCheck: { path: `/up${bad}` } }, /^healthCheck\.path$/, /percent-encode/);
    refused({ conflictsWith: `web-*${bad}` }, /^conflictsWith$/, /lowercase letters, digits, - and \*/);
    refused({ mustShareWith: `web${bad}` }, /^mustShareWith$/, /not a service name/);
  }
  refused({ env: { A: 'x\ny' } }, /env\.A/, /a line feed \(\\n\) at position 1/);
  refused({ volume: { '/data/../etc': '/x' } }, /volume/, /"\.\." segment/);
  refused({ conflictsWith: 'web-(a|b)' }, /conflictsWith/, /glob of service names/);
  // tabs, unicode and shell metacharacters are data, not structure, where they reach a container as one argv or env entry
  // a command argument is one execve string: multi-line scripts are data
  const ok = applyConfigPatch(base, { env: { A: 'tab\there $(x) `y` ; | & ünï 😀', B: 3 }, command: ['sh', '-c', 'echo "$A"\r\nexit 0\n'], conflictsWith: 'web-*', volume: { '/srv/data': '/data' } });
  assert.equal(ok.env.A, 'tab\there $(x) `y` ; | & ünï 😀');
});

test('descriptions may hold newlines and tabs, not NUL or other controls', () => {
  assert.equal(descriptionProblem('line one\n\tline two\r\n'), undefined);
  assert.match(descriptionProblem('a\u0000')!, /NUL at position 1/);
  assert.throws(() => normalizeCreate({ name: 'abc', dockerRepository: 'x', description: 'bell\u0007' }, 1), /description has a control character \(U\+0007\)/);
});
