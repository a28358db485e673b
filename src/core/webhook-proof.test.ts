import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newWebhookSecret, proofHolds, proofsOf, provesSecret, redactUrl, signBody, unprovenMessage } from './webhook-proof.js';

test("GitHub's documented test vector", () => {
  // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
  const sig = signBody("It's a Secret to Everybody", 'Hello, World!');
  assert.equal(sig, 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
  assert.ok(proofHolds("It's a Secret to Everybody", { kind: 'signature', header: 'x-hub-signature-256', value: sig }, 'Hello, World!'));
});

test('a signature holds only for its secret and its exact body', () => {
  const secret = newWebhookSecret();
  const body = '{"serviceName":"web"}';
  const sig = { kind: 'signature' as const, header: 'x-hub-signature-256', value: signBody(secret, body) };
  assert.ok(proofHolds(secret, sig, body));
  assert.ok(proofHolds(secret, { ...sig, value: sig.value.toUpperCase().replace('SHA256=', 'sha256=') }, body), 'upper-case hex digits');
  assert.ok(!proofHolds(secret, sig, '{"serviceName": "web"}'), 'the same JSON written differently is another body');
  assert.ok(!proofHolds(secret, sig, '{"serviceName":"evil"}'));
  assert.ok(!proofHolds(newWebhookSecret(), sig, body));
  for (const bad of ['', 'sha256=', 'sha1=' + 'a'.repeat(40), sig.value.slice(7), sig.value.slice(0, -1), `${sig.value}00`, 'sha256=' + 'z'.repeat(64)]) {
    assert.ok(!proofHolds(secret, { ...sig, value: bad }, body), `malformed signature ${JSON.stringify(bad)}`);
  }
});

test('a token holds only when it is the secret', () => {
  const secret = newWebhookSecret();
  assert.ok(proofHolds(secret, { kind: 'token', where: 'query', value: secret }, 'anything'));
  assert.ok(!proofHolds(secret, { kind: 'token', where: 'query', value: secret.slice(1) }, ''));
  assert.ok(!proofHolds(secret, { kind: 'token', where: 'query', value: `${secret}x` }, ''));
  assert.ok(!proofHolds(secret, { kind: 'token', where: 'query', value: '' }, ''));
});

test('new secrets are 32 random bytes, URL-safe', () => {
  const a = newWebhookSecret();
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(Buffer.from(a, 'base64url').length, 32);
  assert.notEqual(a, newWebhookSecret());
});

test('proofs are read from both signature headers, the query, Authorization: Bearer and X-Paz-Webhook-Token', () => {
  assert.deepEqual(proofsOf({}, {}), []);
  assert.deepEqual(proofsOf({ 'x-hub-signature-256': 'sha256=ab', 'x-paz-signature-256': 'sha256=cd' }, undefined), [
    { kind: 'signature', header: 'x-hub-signature-256', value: 'sha256=ab' },
    { kind: 'signature', header: 'x-paz-signature-256', value: 'sha256=cd' },
  ]);
  assert.deepEqual(proofsOf({ authorization: 'Bearer s3cret', 'x-paz-webhook-token': 't2' }, { token: 't1' }), [
    { kind: 'token', where: 'query', value: 't1' },
    { kind: 'token', where: 'authorization', value: 's3cret' },
    { kind: 'token', where: 'header', value: 't2' },
  ]);
  assert.deepEqual(proofsOf({ authorization: 'Basic dXNlcjpwYXNz' }, {}), [], 'only Bearer carries a token');
  assert.deepEqual(proofsOf({}, { token: ['a', 'b'] }), [], 'a token given twice is no proof');
});

test('a request proves the secret when any of its proofs holds, and not with none', () => {
  const secret = newWebhookSecret();
  const body = '{}';
  assert.ok(!provesSecret(secret, [], body));
  assert.ok(!provesSecret(secret, [{ kind: 'token', where: 'query', value: 'guess' }], body));
  assert.ok(provesSecret(secret, [{ kind: 'token', where: 'query', value: 'guess' }, { kind: 'signature', header: 'x-paz-signature-256', value: signBody(secret, body) }], body));
});

test('the 401 message says how to sign and never repeats what was sent', () => {
  const none = unprovenMessage([]);
  assert.match(none, /no webhook secret/);
  assert.match(none, /X-Hub-Signature-256: sha256=/);
  assert.match(none, /\?token=/);
  assert.match(none, /paz webhook secret/);
  const wrong = unprovenMessage([{ kind: 'token', where: 'query', value: 'my-guess' }, { kind: 'signature', header: 'x-hub-signature-256', value: 'sha256=abc' }]);
  assert.match(wrong, /\?token=, header x-hub-signature-256\) does not match/);
  assert.doesNotMatch(wrong, /my-guess|sha256=abc/);
  assert.match(unprovenMessage([], false), /no webhook secret yet.*paz webhook secret.*X-Hub-Signature-256/);
});

test('logged URLs never show a token', () => {
  assert.equal(redactUrl('/hooks/dockerhub'), '/hooks/dockerhub');
  assert.equal(redactUrl('/hooks/dockerhub?token=abc'), '/hooks/dockerhub?token=[redacted]');
  assert.equal(redactUrl('/hooks/registry?x=1&token=abc&y=2'), '/hooks/registry?x=1&token=[redacted]&y=2');
  assert.equal(redactUrl('/h?TOKEN=abc&%74oken=def&tok%65n=ghi#frag'), '/h?TOKEN=[redacted]&%74oken=[redacted]&tok%65n=[redacted]#frag');
  assert.equal(redactUrl('/h?token=a&token=b'), '/h?token=[redacted]&token=[redacted]');
  assert.equal(redactUrl('/h?mytoken=keep&token_id=keep'), '/h?mytoken=keep&token_id=keep');
  assert.equal(redactUrl('/h?%E0%A4%A=x'), '/h?%E0%A4%A=[redacted]', 'a name that does not decode is not trusted');
});
