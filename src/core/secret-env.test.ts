import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fingerprint, newSecretKey, seal } from './secret-box.js';
import { envSecretContext, isSealedSecret, openSecretEnv, redactSecrets, sealEnv, SecretEnvError, type SealedSecret } from './secret-env.js';
import { PazError } from './errors.js';
import { toPazEvent } from './events.js';
import { keys } from './keys.js';
import { runSpecFor } from './deploy-plan.js';
import { DEFAULT_CONFIG, applyConfigPatch } from './service-spec.js';

const key = newSecretKey();

test('a secret sent as {"secret": value} is stored sealed for its service and key, with its fingerprint beside it', () => {
  const env = sealEnv(key, 'web', { DB_PASSWORD: { secret: 'hunter2' }, MODE: 'prod', N: 3 }, {});
  assert.equal(env.MODE, 'prod');
  assert.equal(env.N, 3);
  const s = env.DB_PASSWORD;
  assert.ok(isSealedSecret(s));
  assert.equal(s.fingerprint, fingerprint(key, 'hunter2'));
  assert.ok(!JSON.stringify(env).includes('hunter2'));
  assert.deepEqual(openSecretEnv(key, 'web', { DB_PASSWORD: s }), { DB_PASSWORD: 'hunter2' });
  // bound to the service and key: moved elsewhere it does not open
  assert.throws(() => openSecretEnv(key, 'api', { DB_PASSWORD: s }), SecretEnvError);
  assert.throws(() => openSecretEnv(key, 'web', { OTHER: s }), SecretEnvError);
});

test('the same value set again keeps the stored object (no change); another value is a new fingerprint', () => {
  const first = sealEnv(key, 'web', { A: { secret: 'one' } }, {});
  const again = sealEnv(key, 'web', { A: { secret: 'one' } }, first);
  assert.equal(again.A, first.A, 'same object, not a new IV');
  assert.equal(JSON.stringify(again), JSON.stringify(first));
  const changed = sealEnv(key, 'web', { A: { secret: 'two' } }, first);
  assert.notEqual((changed.A as SealedSecret).fingerprint, (first.A as SealedSecret).fingerprint);
});

test('{"secret": true, "fingerprint": F} keeps the current secret when F is its fingerprint, else asks for the value', () => {
  const current = sealEnv(key, 'web', { A: { secret: 'one' }, P: 'plain' }, {});
  const fp = (current.A as SealedSecret).fingerprint;
  assert.equal(sealEnv(key, 'web', { A: { secret: true, fingerprint: fp } }, current).A, current.A);
  const notKept = (input: unknown) =>
    assert.throws(
      () => sealEnv(key, 'web', { A: input }, current),
      (e: unknown) => e instanceof PazError && e.code === 'SECRET_NOT_KEPT' && e.statusCode === 400 && /send the value itself/.test(e.message),
    );
  notKept({ secret: true, fingerprint: '000000000000' });
  assert.throws(() => sealEnv(key, 'web', { B: { secret: true, fingerprint: fp } }, current), /it has no B/);
  assert.throws(() => sealEnv(key, 'web', { P: { secret: true, fingerprint: fp } }, current), /its P is not a secret/);
});

test('malformed secrets are refused with what to send; a secret value is checked like any env value', () => {
  for (const bad of [{ secret: true }, { secret: false }, { secret: 'x', fingerprint: 'abcabcabcabc' }, { secret: true, fingerprint: 'XYZ' }, { other: 1 }]) {
    assert.throws(() => sealEnv(key, 'web', { A: bad }, {}), (e: unknown) => e instanceof PazError && e.statusCode === 400, JSON.stringify(bad));
  }
  assert.throws(
    () => sealEnv(key, 'web', { A: { secret: 'a\nb' } }, {}, (_n, v) => (v.includes('\n') ? 'has a line feed' : undefined)),
    /has a line feed/,
  );
});

test('a config holding an object that is not a sealed secret is refused, so plain text is never stored by mistake', () => {
  assert.throws(() => applyConfigPatch(structuredClone(DEFAULT_CONFIG), { env: { A: { secret: 'plain' } } }), /a secret is/);
  const env = sealEnv(key, 'web', { A: { secret: 'plain' } }, {});
  assert.ok(isSealedSecret(applyConfigPatch(structuredClone(DEFAULT_CONFIG), { env }).env.A));
});

test('a wrong key or a missing key fails to open with a reason that names the variable, never the value', () => {
  const env = { A: sealEnv(key, 'web', { A: { secret: 'hunter2' } }, {}).A as SealedSecret };
  for (const k of [newSecretKey(), undefined]) {
    assert.throws(
      () => openSecretEnv(k, 'web', env),
      (e: unknown) => e instanceof SecretEnvError && /env A/.test(e.message) && !e.message.includes('hunter2'),
    );
  }
  assert.deepEqual(openSecretEnv(undefined, 'web', undefined), {});
});

test('redaction shows {secret, fingerprint} wherever a stored secret is, any other sealed string as {secret: true}, and copies nothing else', () => {
  const s = sealEnv(key, 'web', { A: { secret: 'hunter2' } }, {}).A as SealedSecret;
  const doc = { name: 'web', config: { env: { A: s, B: 'b' }, ports: [{ container: 80 }] }, list: [{ x: seal(key, 'pw', 'registry') }, 1, null] };
  const shown = redactSecrets(doc);
  assert.deepEqual(shown.config.env.A, { secret: true, fingerprint: s.fingerprint });
  assert.deepEqual(shown.list[0], { x: { secret: true } });
  assert.equal(shown.config.ports, doc.config.ports, 'unchanged parts are shared');
  assert.ok(isSealedSecret(doc.config.env.A), 'the input is not changed');
  assert.ok(!JSON.stringify(shown).includes('paz:v1:'));
  const plain = { a: [1, { b: 'c' }] };
  assert.equal(redactSecrets(plain), plain);
});

test('events never carry sealed values: service.create, service.modifyConfig and unit events are redacted', () => {
  const s = sealEnv(key, 'web', { A: { secret: 'hunter2' } }, {}).A as SealedSecret;
  const config = { ...structuredClone(DEFAULT_CONFIG), env: { A: s } };
  const doc = { name: 'web', description: '', dockerRepository: 'r', config, createdTime: 1 };
  const unit = { unit: 'web-1-1', service: 'web', version: 1, instance: 1, host: null, spec: runSpecFor({ service: 'web', version: 1, image: 'r', config }, 1), createdAt: 1 };
  assert.deepEqual(unit.spec.secretEnv, { A: s }, 'the unit carries the sealed value');
  const changes = [
    { type: 'put' as const, key: keys.service('web'), value: JSON.stringify(doc), revision: 1 },
    { type: 'put' as const, key: keys.service('web'), value: JSON.stringify(doc), revision: 2, prevValue: '{}' },
    { type: 'put' as const, key: keys.desiredUnit('web', 'web-1-1'), value: JSON.stringify(unit), revision: 3 },
  ];
  for (const c of changes) {
    const text = JSON.stringify(toPazEvent(c));
    assert.ok(!text.includes(s.sealed) && !text.includes('paz:v1:'), text);
    assert.ok(text.includes(s.fingerprint), text);
  }
});

test('a unit run spec keeps secrets sealed and apart from plain env; identity variables stay Paz\'s', () => {
  const env = sealEnv(key, 'web', { A: { secret: 'x' }, PAZ_SERVICE: { secret: 'spoof' }, B: 'b' }, {});
  const spec = runSpecFor({ service: 'web', version: 2, image: 'r', config: { ...structuredClone(DEFAULT_CONFIG), env } }, 1);
  assert.deepEqual(Object.keys(spec.secretEnv ?? {}), ['A']);
  assert.equal(spec.env.PAZ_SERVICE, 'web');
  assert.equal(spec.env.B, 'b');
  assert.equal(spec.env.A, undefined);
  assert.equal(envSecretContext('web', 'A'), 'env:web:A');
  assert.equal(runSpecFor({ service: 'web', version: 1, image: 'r', config: structuredClone(DEFAULT_CONFIG) }, 1).secretEnv, undefined);
});
